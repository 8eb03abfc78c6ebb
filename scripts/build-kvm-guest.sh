#!/bin/bash
# build-kvm-guest.sh — the Linux test assets of the KVM microvm: Debian's
# cloud kernel (the bzImage of the linux-image-6.1.0-*-cloud-amd64 package
# that linux-image-cloud-amd64 depends on) and an initramfs around Debian's
# busybox-static with tests/kvm/linux/init. Both packages are fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`, never installed.
# See docs/kvm-guests.md.
#
# The one thing to know: like scripts/build-guest.sh, everything lives in a
# content-addressed cache, ${MIMIC_CACHE:-$HOME/.cache/mimic}/:
# kvm-kernel-<hash>/ is keyed by the kernel package name and version,
# kvm-busybox-<hash>/ by busybox-static's version, kvm-guest-<hash>/ (the
# outputs) by both plus this script and tests/kvm/linux/. A cache hit takes
# a second or two (apt-cache lookups) and needs no network; OUTDIR (default build/kvm-guest)
# becomes a symlink to kvm-guest-<hash>/, holding bzImage and
# initramfs.cpio.gz.
# Usage: scripts/build-kvm-guest.sh [OUTDIR]     env: MIMIC_CACHE
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
outlink=${1:-build/kvm-guest}
cache=${MIMIC_CACHE:-$HOME/.cache/mimic}
linuxdir=$repo/tests/kvm/linux
meta=linux-image-cloud-amd64

say() { echo "build-kvm-guest: $*"; }
die() { echo "build-kvm-guest: error: $*" >&2; exit 1; }

for c in apt-get apt-cache dpkg-deb python3 sha256sum; do
    command -v "$c" >/dev/null || die "missing $c — run scripts/setup.sh first"
done

# candidate PACKAGE: the version apt would download (local metadata only)
candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'
}
# The versioned kernel package behind the meta package, e.g.
# linux-image-6.1.0-57-cloud-amd64 (the newest one it depends on).
kpkg=$(apt-cache depends "$meta" 2>/dev/null \
       | awk '/Depends: linux-image-[0-9].*-cloud-amd64$/ { print $2 }' | sort -V | tail -n 1)
[ -n "$kpkg" ] || die "apt-cache depends $meta names no linux-image-*-cloud-amd64 (apt-get update?)"
kver=$(candidate "$kpkg")
bver=$(candidate busybox-static)
[ -n "$kver" ] && [ "$kver" != "(none)" ] || die "no candidate version of $kpkg"
[ -n "$bver" ] && [ "$bver" != "(none)" ] || die "no candidate version of busybox-static"

key() { sha256sum | cut -c1-16; }
khash=$(echo "$kpkg=$kver" | key)
bhash=$(echo "busybox-static=$bver" | key)
ghash=$( { echo "$khash $bhash"; cat scripts/build-kvm-guest.sh;
           (cd "$linuxdir" && find . -type f ! -name '*.md' -print0 | sort -z | xargs -0 sha256sum);
         } | key)
kdir=$cache/kvm-kernel-$khash
bdir=$cache/kvm-busybox-$bhash
final=$cache/kvm-guest-$ghash

link_outputs() {
    mkdir -p "$(dirname "$outlink")"
    ln -sfn "$final" "$outlink"
    say "outputs in $final (linked from $outlink):"
    (cd "$final" && ls -lL bzImage initramfs.cpio.gz \
        | awk '{printf "build-kvm-guest:   %-18s %9d bytes\n", $NF, $5}')
}

if [ -f "$final/manifest.txt" ]; then
    say "cached (kvm-guest-$ghash: $kpkg $kver, busybox-static $bver)"
    link_outputs
    exit 0
fi

mkdir -p "$cache"
work=$cache/kvm-work.$$
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

# fetch PACKAGE VERSION DIR: apt-get download into DIR (as root apt warns
# that its sandbox user cannot write there; that is harmless)
fetch() {
    (cd "$3" && apt-get download -q "$1=$2" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
    ls "$3"/*.deb >/dev/null 2>&1 || die "apt-get download $1=$2 failed"
}

if [ ! -f "$kdir/bzImage" ]; then
    say "kernel: apt-get download $kpkg=$kver"
    tmp=$kdir.tmp.$$
    rm -rf "$tmp" "$work"; mkdir -p "$tmp" "$work/deb" "$work/root"
    fetch "$kpkg" "$kver" "$work/deb"
    dpkg-deb -x "$work/deb"/*.deb "$work/root"
    cp "$work/root/boot/vmlinuz-"* "$tmp/bzImage"
    cp "$work/root/boot/config-"* "$tmp/config"
    echo "$kpkg $kver" > "$tmp/package.txt"
    rm -rf "$kdir"; mv "$tmp" "$kdir"
    rm -rf "$work"
else
    say "kernel: cached (kvm-kernel-$khash: $kpkg $kver)"
fi

if [ ! -f "$bdir/busybox" ]; then
    say "busybox: apt-get download busybox-static=$bver"
    tmp=$bdir.tmp.$$
    rm -rf "$tmp" "$work"; mkdir -p "$tmp" "$work/deb" "$work/root"
    fetch busybox-static "$bver" "$work/deb"
    dpkg-deb -x "$work/deb"/*.deb "$work/root"
    cp "$work/root/bin/busybox" "$tmp/busybox"
    # the applet list, from the binary itself (it runs on the host)
    "$tmp/busybox" --list-full > "$tmp/applets.txt"
    echo "busybox-static $bver" > "$tmp/package.txt"
    rm -rf "$bdir"; mv "$tmp" "$bdir"
    rm -rf "$work"
else
    say "busybox: cached (kvm-busybox-$bhash: busybox-static $bver)"
fi

tmp=$final.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
say "initramfs: busybox + tests/kvm/linux/init + tests/kvm/linux/tests"
python3 "$linuxdir/mkinitramfs.py" "$tmp/initramfs.cpio.gz" "$bdir/busybox" \
    "$bdir/applets.txt" "$linuxdir/init" "$linuxdir/tests"
cp "$kdir/bzImage" "$tmp/bzImage"
{
    echo "kvm-guest-$ghash assembled $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - t0 )) s"
    echo "kernel: $kdir ($(cat "$kdir/package.txt"))"
    echo "busybox: $bdir ($(cat "$bdir/package.txt"))"
    (cd "$tmp" && sha256sum bzImage initramfs.cpio.gz)
} > "$tmp/manifest.txt"
rm -rf "$final"; mv "$tmp" "$final"
say "done in $(( $(date +%s) - t0 )) s"
link_outputs
