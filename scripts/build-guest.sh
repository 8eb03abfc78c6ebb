#!/bin/bash
# build-guest.sh — builds the RISC-V guest software for system-mode tests:
# a small riscv64 Linux `Image` (Debian's linux-source-6.1), a static busybox
# `initramfs.cpio.gz` (Debian's busybox source package, cross-compiled), and
# copies of Debian's OpenSBI (fw_dynamic.bin, fw_jump.bin) and U-Boot
# (u-boot.bin, qemu-riscv64_smode). See docs/guest-images.md.
#
# The one thing to know: outputs live in a content-addressed cache,
# ${MIMIC_CACHE:-$HOME/.cache/mimic}/guest-<hash>/, where the hash covers this
# script, everything in tests/system/guest/ and the versions of the Debian
# packages used. A cache hit costs well under a second; OUTDIR (default
# build/guest) becomes a symlink to the cache directory.
# Usage: scripts/build-guest.sh [OUTDIR]     env: MIMIC_CACHE, JOBS (default 2)
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
outlink=${1:-build/guest}
cache=${MIMIC_CACHE:-$HOME/.cache/mimic}
jobs=${JOBS:-2}
guestdir=$repo/tests/system/guest
kernel_tar=/usr/src/linux-source-6.1.tar.xz
opensbi_dir=/usr/lib/riscv64-linux-gnu/opensbi/generic
uboot_bin=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
cross=riscv64-linux-gnu-

say() { echo "build-guest: $*"; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

# --- stage 0: inputs present? ---------------------------------------------
missing=()
for f in "$kernel_tar" "$opensbi_dir/fw_dynamic.bin" "$opensbi_dir/fw_jump.bin" "$uboot_bin"; do
    [ -f "$f" ] || missing+=("$f")
done
for c in ${cross}gcc make flex bison bc cpio gzip xz dpkg-source apt-get; do
    command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
    die "missing: ${missing[*]} — run scripts/setup.sh (as root) first"
fi

# --- the cache key ---------------------------------------------------------
pkgs=$(dpkg-query -W -f='${Package}=${Version}\n' linux-source-6.1 opensbi \
       u-boot-qemu gcc-riscv64-linux-gnu libc6-dev-riscv64-cross 2>/dev/null)
hash=$( { sha256sum scripts/build-guest.sh;
          (cd "$guestdir" && find . -type f ! -name '*.md' ! -name 'check-with-qemu.sh' \
              -print0 | sort -z | xargs -0 sha256sum);
          echo "$pkgs"; } | sha256sum | cut -c1-16)
final=$cache/guest-$hash

link_outputs() {
    mkdir -p "$(dirname "$outlink")"
    ln -sfn "$final" "$outlink"
    say "outputs in $final (linked from $outlink):"
    (cd "$final" && ls -l Image initramfs.cpio.gz fw_dynamic.bin fw_jump.bin u-boot.bin \
        | awk '{printf "build-guest:   %-18s %9d bytes\n", $NF, $5}')
}

if [ -f "$final/manifest.txt" ]; then
    say "cached (guest-$hash)"
    link_outputs
    exit 0
fi

# --- a fresh build, in a scratch directory renamed into place at the end --
mkdir -p "$cache"
work=$cache/work-$hash.$$
stage_dir=$cache/guest-$hash.tmp.$$
logs=$stage_dir/logs
rm -rf "$work" "$stage_dir"
mkdir -p "$work" "$logs"
trap 'rm -rf "$work"' EXIT
start_all=$(date +%s)
say "building guest-$hash in $work (logs: $logs)"

# run STAGE LOG CMD...: one line per stage, the log named on failure
run() {
    local stage=$1 log=$logs/$2.log t0 t1
    shift 2
    t0=$(date +%s)
    say "[$stage] ..."
    if ! "$@" >>"$log" 2>&1; then
        echo "build-guest: error: stage '$stage' failed; last lines of $log:" >&2
        tail -n 20 "$log" >&2
        echo "build-guest: full log: $log" >&2
        exit 1
    fi
    t1=$(date +%s)
    say "[$stage] done in $((t1 - t0)) s"
    echo "$stage: $((t1 - t0)) s" >> "$stage_dir/times.txt"
}

# check_config FRAGMENT CONFIG: every "=" line of the fragment must be in the
# final config verbatim, and every "is not set" symbol must not be enabled.
check_config() {
    local frag=$1 cfg=$2 line sym bad=0
    while IFS= read -r line; do
        case "$line" in
            CONFIG_*=*)
                if ! grep -qxF "$line" "$cfg"; then
                    sym=${line%%=*}
                    echo "required $line, but .config has: $(grep -E "^$sym=|^# $sym is not set" "$cfg" || echo nothing)"
                    bad=1
                fi ;;
            "# CONFIG_"*" is not set")
                sym=${line#\# }; sym=${sym%% *}
                if grep -q "^$sym=" "$cfg"; then
                    echo "required $sym off, but .config has $(grep "^$sym=" "$cfg")"
                    bad=1
                fi ;;
        esac
    done < "$frag"
    [ $bad -eq 0 ] && echo "all symbols of $frag present in $cfg"
    return $bad
}

# --- stage 1: kernel --------------------------------------------------------
kmake() { nice make -C "$work/linux" O="$work/kbuild" ARCH=riscv CROSS_COMPILE=$cross "$@"; }
kernel_unpack() {
    mkdir -p "$work/linux" "$work/kbuild"
    tar -xJf "$kernel_tar" -C "$work/linux" --strip-components=1
}
kernel_config() {
    kmake tinyconfig
    "$work/linux/scripts/kconfig/merge_config.sh" -m -O "$work/kbuild" \
        "$work/kbuild/.config" "$guestdir/linux.config"
    kmake olddefconfig
    check_config "$guestdir/linux.config" "$work/kbuild/.config"
}
run "kernel: unpack $(basename $kernel_tar)" kernel-unpack kernel_unpack
run "kernel: tinyconfig + tests/system/guest/linux.config" kernel-config kernel_config
run "kernel: make -j$jobs Image" kernel-build kmake -j"$jobs" Image
cp "$work/kbuild/arch/riscv/boot/Image" "$stage_dir/Image"
cp "$work/kbuild/.config" "$stage_dir/linux.config.full"

# --- stage 2: busybox --------------------------------------------------------
busybox_fetch() {
    # apt-get source needs a deb-src entry; setup.sh adds one if there is none
    "$repo/scripts/setup.sh" --deb-src
    (cd "$work" && apt-get source --download-only busybox && dpkg-source -x busybox_*.dsc busybox)
}
busybox_config() {
    local bb=$work/busybox line sym
    cp "$bb/debian/config/pkg/static" "$bb/.config"
    while IFS= read -r line; do
        case "$line" in
            CONFIG_*=*) sym=${line%%=*} ;;
            "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
            *) continue ;;
        esac
        sed -i -e "/^$sym=/d" -e "/^# $sym is not set/d" "$bb/.config"
        echo "$line" >> "$bb/.config"
    done < "$guestdir/busybox.config"
    yes "" | make -C "$bb" oldconfig
    check_config "$guestdir/busybox.config" "$bb/.config"
}
run "busybox: apt-get source busybox" busybox-fetch busybox_fetch
run "busybox: debian static config + tests/system/guest/busybox.config" busybox-config busybox_config
run "busybox: make -j$jobs (static, riscv64)" busybox-build \
    nice make -C "$work/busybox" -j"$jobs" busybox busybox.links

# --- stage 3: initramfs -----------------------------------------------------
initramfs_build() {
    local list=$work/initramfs.list bb=$work/busybox link dir
    gcc -O2 -o "$work/gen_init_cpio" "$work/linux/usr/gen_init_cpio.c"
    {
        echo "dir /dev 755 0 0"
        echo "nod /dev/console 600 0 0 c 5 1"
        echo "nod /dev/null 666 0 0 c 1 3"
        for dir in /bin /sbin /usr /usr/bin /usr/sbin /proc /sys /tmp /mnt /etc /tests /root; do
            echo "dir $dir 755 0 0"
        done
        echo "file /bin/busybox $bb/busybox 755 0 0"
        echo "file /init $guestdir/init 755 0 0"
        echo "file /etc/udhcpc.script $guestdir/udhcpc.script 755 0 0"
        for t in "$guestdir"/tests/*.sh; do
            echo "file /tests/$(basename "$t") $t 644 0 0"
        done
        while IFS= read -r link; do
            [ "$link" = /bin/busybox ] || echo "slink $link /bin/busybox 777 0 0"
        done < "$bb/busybox.links"
    } > "$list"
    "$work/gen_init_cpio" "$list" | gzip -9 -n > "$stage_dir/initramfs.cpio.gz"
    cp "$list" "$stage_dir/initramfs.list"
}
run "initramfs: busybox + init + tests" initramfs initramfs_build

# --- stage 4: firmware from Debian packages --------------------------------
firmware_copy() {
    cp "$opensbi_dir/fw_dynamic.bin" "$opensbi_dir/fw_jump.bin" "$stage_dir/"
    cp "$uboot_bin" "$stage_dir/u-boot.bin"
}
run "firmware: opensbi + u-boot-qemu" firmware firmware_copy

# --- done: record what went in, then publish atomically ------------------
{
    echo "guest-$hash built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start_all )) s on $(nproc) cores (-j$jobs)"
    echo "$pkgs"
    echo "busybox source: $(cd "$work" && ls busybox_*.dsc)"
    echo "kernel: $(file -b "$stage_dir/Image" 2>/dev/null || echo Image)"
    cat "$stage_dir/times.txt"
} > "$stage_dir/manifest.txt"
rm -rf "$final"
mv "$stage_dir" "$final"
say "built in $(( $(date +%s) - start_all )) s"
link_outputs
