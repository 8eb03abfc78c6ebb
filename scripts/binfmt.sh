#!/bin/bash
# binfmt.sh — registers mimic-riscv64 with the kernel's binfmt_misc so that
# RISC-V 64 ELF programs run directly (./prog), and removes it again.
#
# The one thing to know: the kernel runs `mimic-riscv64 /full/path/prog
# args...`, so the guest's argv[0] is the full path; dynamically linked
# programs need QEMU_LD_PREFIX=/usr/riscv64-linux-gnu in the environment.
# Needs root. Usage:
#   scripts/binfmt.sh register [PATH-TO-mimic-riscv64] [NAME]   (default build/mimic-riscv64, mimic-riscv64)
#   scripts/binfmt.sh unregister [NAME]
#   scripts/binfmt.sh status [NAME]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

dir=/proc/sys/fs/binfmt_misc
# ELF header of a RISC-V 64 executable (little endian, ET_EXEC or ET_DYN):
# the mask ignores the OS ABI/padding bytes and the low bit of e_type.
magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00'
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

die() { echo "binfmt.sh: $*" >&2; exit 1; }

need_binfmt() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it writes to $dir)"
    if [ ! -e "$dir/register" ]; then
        mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null ||
            die "binfmt_misc is not available (cannot mount it on $dir)"
    fi
}

cmd=${1:-}
case "$cmd" in
register)
    emu=${2:-$here/build/mimic-riscv64}
    name=${3:-mimic-riscv64}
    [ -x "$emu" ] || die "$emu: not an executable (build it with make)"
    emu=$(readlink -f "$emu")
    need_binfmt
    [ -e "$dir/$name" ] && die "$name is already registered (scripts/binfmt.sh unregister $name)"
    printf ':%s:M::%s:%s:%s:\n' "$name" "$magic" "$mask" "$emu" > "$dir/register"
    echo "registered $name: RISC-V 64 programs now run under $emu"
    echo "undo with: scripts/binfmt.sh unregister $name"
    ;;
unregister)
    name=${2:-mimic-riscv64}
    need_binfmt
    [ -e "$dir/$name" ] || die "$name is not registered"
    echo -1 > "$dir/$name"
    echo "unregistered $name"
    ;;
status)
    name=${2:-mimic-riscv64}
    if [ -e "$dir/$name" ]; then cat "$dir/$name"; else echo "$name is not registered"; fi
    ;;
*)
    echo "usage: scripts/binfmt.sh register [mimic-riscv64] [NAME] | unregister [NAME] | status [NAME]" >&2
    exit 2
    ;;
esac
