#!/bin/bash
# binfmt-test.sh — registers mimic through scripts/binfmt.sh under a test
# name, runs a static and a dynamic RISC-V program directly (./prog), and
# unregisters again, whatever happens.
#
# The one thing to know: it needs root and binfmt_misc; without them it
# skips (exit 77) and says why. Usage: binfmt-test.sh MIMIC STATIC DYNAMIC
set -uo pipefail
mimic=$1 static=$2 dynamic=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
name=mimic-riscv64-test-$$
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: not root (binfmt_misc registration needs root)"
    exit 77
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ] &&
    ! mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null; then
    echo "SKIP: binfmt_misc is not available here"
    exit 77
fi
"$root/scripts/binfmt.sh" register "$mimic" "$name" || exit 1
trap '"$root/scripts/binfmt.sh" unregister "$name" >/dev/null' EXIT
grep -q "interpreter $(readlink -f "$mimic")" "/proc/sys/fs/binfmt_misc/$name" || {
    echo "FAIL: registration does not name $mimic"; exit 1; }
fail=0
out=$("$static"); rc=$?
if [ "$rc" -ne 42 ] || [ "$out" != "exiting with 42" ]; then
    echo "FAIL: $static run directly: status $rc, output '$out'"; fail=1
fi
out=$(QEMU_LD_PREFIX=/usr/riscv64-linux-gnu "$dynamic" a b); rc=$?
if [ "$rc" -ne 3 ] || ! grep -q "hello from a dynamic program, 2 argument(s)" <<<"$out"; then
    echo "FAIL: $dynamic run directly: status $rc, output '$out'"; fail=1
fi
[ $fail -eq 0 ] && echo "ok: both programs ran directly through binfmt_misc"
exit $fail
