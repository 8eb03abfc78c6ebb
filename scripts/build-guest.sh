#!/bin/bash
# build-guest.sh — builds the RISC-V guest software for system-mode tests:
# a small riscv64 Linux `Image` (Debian's linux-source-6.1), a static busybox
# `initramfs.cpio.gz` (Debian's busybox source package, cross-compiled), and
# copies of Debian's OpenSBI (fw_dynamic.bin, fw_jump.bin) and U-Boot
# (u-boot.bin, qemu-riscv64_smode). See docs/guest-images.md.
#
# The one thing to know: everything lives in a content-addressed cache,
# ${MIMIC_CACHE:-$HOME/.cache/mimic}/. linux-<hash>/ and busybox-<hash>/ are
# keyed by the text of the shell functions that build them, their config
# fragment and the Debian package versions, so editing a test script never
# rebuilds the kernel; guest-<hash>/ (the outputs) is keyed by those two plus
# this script and tests/system/guest/. A cache hit costs well under a second;
# OUTDIR (default build/guest) becomes a symlink to guest-<hash>/.
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

# run STAGE LOG CMD...: one line per stage, the stage and its log named on
# failure. The command runs in a subshell with set -e outside any `if`
# (inside one, bash would ignore set -e in the stage's functions).
run() {
    local stage=$1 log=$2 t0 rc
    shift 2
    t0=$(date +%s)
    say "[$stage] ..."
    set +e
    ( set -e; "$@" ) >>"$log" 2>&1
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        echo "build-guest: error: stage '$stage' failed; last lines of $log:" >&2
        tail -n 20 "$log" >&2
        echo "build-guest: full log: $log" >&2
        exit 1
    fi
    say "[$stage] done in $(( $(date +%s) - t0 )) s"
    echo "$stage: $(( $(date +%s) - t0 )) s" >> "$(dirname "$log")/../times.txt"
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

# --- kernel: tinyconfig + linux.config, Image; also the kernel's own
# usr/gen_init_cpio, which writes the initramfs (device nodes without root)
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
kernel_build() {
    kmake -j"$jobs" Image
    cp "$work/kbuild/arch/riscv/boot/Image" "$work/kbuild/.config" "$1/"
    gcc -O2 -o "$1/gen_init_cpio" "$work/linux/usr/gen_init_cpio.c"
}

# --- busybox: Debian's static config + busybox.config, static riscv64 ------
busybox_fetch() {
    # apt-get source needs a deb-src entry; setup.sh adds one if there is none
    "$repo/scripts/setup.sh" --deb-src
    cd "$work"
    apt-get source --download-only busybox
    dpkg-source -x busybox_*.dsc busybox
    ls busybox_*.dsc > "$1/source.txt"
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
    # new symbols take their defaults (yes "" answers each question)
    make -C "$bb" oldconfig < <(yes "")
    check_config "$guestdir/busybox.config" "$bb/.config"
}
busybox_build() {
    nice make -C "$work/busybox" -j"$jobs" busybox busybox.links
    cp "$work/busybox/busybox" "$work/busybox/busybox.links" "$work/busybox/.config" "$1/"
}

# --- initramfs and firmware, into the guest directory $1 -------------------
initramfs_build() {
    local out=$1 list=$1/initramfs.list link dir t
    {
        echo "dir /dev 755 0 0"
        echo "nod /dev/console 600 0 0 c 5 1"
        echo "nod /dev/null 666 0 0 c 1 3"
        for dir in /bin /sbin /usr /usr/bin /usr/sbin /proc /sys /tmp /mnt /etc /tests /root; do
            echo "dir $dir 755 0 0"
        done
        echo "file /bin/busybox $bbdir/busybox 755 0 0"
        echo "file /init $guestdir/init 755 0 0"
        echo "file /etc/udhcpc.script $guestdir/udhcpc.script 755 0 0"
        for t in "$guestdir"/tests/*.sh; do
            echo "file /tests/$(basename "$t") $t 644 0 0"
        done
        while IFS= read -r link; do
            [ "$link" = /bin/busybox ] || echo "slink $link /bin/busybox 777 0 0"
        done < "$bbdir/busybox.links"
    } > "$list"
    "$kdir/gen_init_cpio" "$list" | gzip -9 -n > "$out/initramfs.cpio.gz"
}
firmware_copy() {
    cp "$opensbi_dir/fw_dynamic.bin" "$opensbi_dir/fw_jump.bin" "$1/"
    cp "$uboot_bin" "$1/u-boot.bin"
}

# --- inputs present? ---------------------------------------------------------
missing=()
for f in "$kernel_tar" "$opensbi_dir/fw_dynamic.bin" "$opensbi_dir/fw_jump.bin" "$uboot_bin"; do
    [ -f "$f" ] || missing+=("$f")
done
for c in ${cross}gcc gcc make flex bison bc gzip xz dpkg-source apt-get; do
    command -v "$c" >/dev/null || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} — run scripts/setup.sh (as root) first"

# --- cache keys -----------------------------------------------------------
versions() { dpkg-query -W -f='${Package}=${Version}\n' "$@" 2>/dev/null; }
key() { sha256sum | cut -c1-16; }
khash=$( { declare -f kmake kernel_unpack kernel_config kernel_build check_config;
           cat "$guestdir/linux.config"; echo "$cross";
           versions linux-source-6.1 gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu gcc; } | key)
bhash=$( { declare -f busybox_fetch busybox_config busybox_build check_config;
           cat "$guestdir/busybox.config"; echo "$cross";
           versions gcc-riscv64-linux-gnu libc6-dev-riscv64-cross; } | key)
ghash=$( { echo "$khash $bhash"; cat scripts/build-guest.sh;
           (cd "$guestdir" && find . -type f ! -name '*.md' ! -name 'check-with-qemu.sh' \
               -print0 | sort -z | xargs -0 sha256sum);
           versions opensbi u-boot-qemu; } | key)
kdir=$cache/linux-$khash
bbdir=$cache/busybox-$bhash
final=$cache/guest-$ghash

link_outputs() {
    mkdir -p "$(dirname "$outlink")"
    ln -sfn "$final" "$outlink"
    say "outputs in $final (linked from $outlink):"
    (cd "$final" && ls -l Image initramfs.cpio.gz fw_dynamic.bin fw_jump.bin u-boot.bin \
        | awk '{printf "build-guest:   %-18s %9d bytes\n", $NF, $5}')
}

if [ -f "$final/manifest.txt" ]; then
    say "cached (guest-$ghash)"
    link_outputs
    exit 0
fi

# --- build what is missing; each component is built in NAME.tmp.PID and
# renamed into place only when complete (a failed one keeps its logs/) ------
mkdir -p "$cache"
work=$cache/work.$$
trap 'rm -rf "$work"' EXIT
start_all=$(date +%s)

if [ ! -f "$bbdir/busybox" ]; then
    tmp=$bbdir.tmp.$$
    rm -rf "$work" "$tmp"; mkdir -p "$work" "$tmp/logs"
    say "building busybox-$bhash (logs: $tmp/logs)"
    run "busybox: apt-get source busybox" "$tmp/logs/fetch.log" busybox_fetch "$tmp"
    run "busybox: debian static config + busybox.config" "$tmp/logs/config.log" busybox_config
    run "busybox: make -j$jobs (static, riscv64)" "$tmp/logs/build.log" busybox_build "$tmp"
    rm -rf "$bbdir"; mv "$tmp" "$bbdir"
else
    say "busybox: cached (busybox-$bhash)"
fi

if [ ! -f "$kdir/Image" ]; then
    tmp=$kdir.tmp.$$
    rm -rf "$work" "$tmp"; mkdir -p "$work" "$tmp/logs"
    say "building linux-$khash (logs: $tmp/logs)"
    run "kernel: unpack $(basename $kernel_tar)" "$tmp/logs/unpack.log" kernel_unpack
    run "kernel: tinyconfig + linux.config" "$tmp/logs/config.log" kernel_config
    run "kernel: make -j$jobs Image" "$tmp/logs/build.log" kernel_build "$tmp"
    rm -rf "$kdir"; mv "$tmp" "$kdir"
    rm -rf "$work"
else
    say "kernel: cached (linux-$khash)"
fi

tmp=$final.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp/logs"
run "initramfs: busybox + init + tests" "$tmp/logs/initramfs.log" initramfs_build "$tmp"
run "firmware: opensbi + u-boot-qemu" "$tmp/logs/firmware.log" firmware_copy "$tmp"
cp "$kdir/Image" "$tmp/Image"
cp "$kdir/.config" "$tmp/linux.config.full"
{
    echo "guest-$ghash assembled $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start_all )) s, $(nproc) cores, -j$jobs"
    echo "kernel: $kdir"; cat "$kdir/times.txt" 2>/dev/null
    echo "busybox: $bbdir ($(cat "$bbdir/source.txt"))"; cat "$bbdir/times.txt" 2>/dev/null
    versions linux-source-6.1 opensbi u-boot-qemu gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
} > "$tmp/manifest.txt"
rm -rf "$final"; mv "$tmp" "$final"
say "done in $(( $(date +%s) - start_all )) s"
link_outputs
