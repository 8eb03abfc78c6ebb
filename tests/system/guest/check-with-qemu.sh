#!/bin/bash
# check-with-qemu.sh — boots the guest images of scripts/build-guest.sh on a
# RISC-V `virt` machine and checks the serial console: hello (OpenSBI
# fw_dynamic and the default firmware), disk (virtio-blk, checked on the host
# with debugfs), net (user networking, wget from a host HTTP server) and
# U-Boot (banner and prompt).
#
# The one thing to know: the emulator is a variable, EMU (default
# qemu-system-riscv64, the oracle), and only options that mimic's system
# emulator also takes are used, so the same script checks mimic:
#   EMU=build/mimic-system-riscv64 tests/system/guest/check-with-qemu.sh
# Usage: check-with-qemu.sh [GUESTDIR] [CHECK...]   (default build/guest; all
#        checks: hello hello-default-bios disk net uboot)
# env: EMU, TIMEOUT (seconds per boot, default 120), SMP (default 2), KEEP=1
set -uo pipefail

EMU=${EMU:-qemu-system-riscv64}
TIMEOUT=${TIMEOUT:-120}
SMP=${SMP:-2}
cd "$(dirname "$0")/../../.."
guest=${1:-build/guest}
shift || true
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(hello hello-default-bios disk net uboot)

for f in Image initramfs.cpio.gz fw_dynamic.bin u-boot.bin; do
    if [ ! -f "$guest/$f" ]; then
        echo "check: $guest/$f missing; run scripts/build-guest.sh first" >&2
        exit 1
    fi
done
command -v "$EMU" >/dev/null || { echo "check: emulator $EMU not found" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() { [ -n "${http_pid:-}" ] && kill "$http_pid" 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$tmp"; }
trap cleanup EXIT
append_base="console=ttyS0 earlycon=sbi panic=-1"
common=(-M virt -m 256M -smp "$SMP" -nographic -no-reboot)
passed=0 failed=0

# boot NAME EXPECT ARGS...: run EMU with a deadline, pass if the console log
# has the line EXPECT (a grep -E pattern). With STOP=1 the emulator is stopped
# as soon as EXPECT shows (for firmware that never powers off); otherwise the
# guest must power off by itself. The log stays in $tmp/NAME.log.
boot() {
    local name=$1 expect=$2 log=$tmp/$1.log t0 pid rc=0 seen=0
    shift 2
    t0=$(date +%s)
    "$EMU" "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ "${STOP:-0}" = 1 ] && grep -qE "$expect" "$log"; then
            kill "$pid"; seen=1; break
        fi
        if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then
            kill "$pid"; echo "check: $name: timed out after $TIMEOUT s"; break
        fi
        sleep 0.2
    done
    wait "$pid"; rc=$?
    if [ $seen = 1 ] || grep -qE "$expect" "$log"; then
        echo "check: PASS $name: saw '$expect' in $(( $(date +%s) - t0 )) s (exit $rc)"
        return 0
    fi
    echo "check: FAIL $name: no '$expect' after $(( $(date +%s) - t0 )) s (exit $rc); last lines of the console:"
    tail -n 15 "$log" | sed 's/^/    /'
    return 1
}
result() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

check_hello() {
    boot hello "^mimic-guest: hello ok" "${common[@]}" -bios "$guest/fw_dynamic.bin" \
        -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
        -append "$append_base mimic.test=hello"
}
check_hello-default-bios() {
    boot hello-default-bios "^mimic-guest: hello ok" "${common[@]}" \
        -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
        -append "$append_base mimic.test=hello"
}
check_disk() {
    local img=$tmp/disk.img
    mkdir -p "$tmp/diskroot"
    echo "written by the host" > "$tmp/diskroot/host.txt"
    mkfs.ext4 -q -F -d "$tmp/diskroot" "$img" 16M >/dev/null || return 1
    boot disk "^mimic-guest: disk ok" "${common[@]}" -bios "$guest/fw_dynamic.bin" \
        -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
        -append "$append_base mimic.test=disk" \
        -drive "file=$img,format=raw,if=none,id=hd0" -device virtio-blk-device,drive=hd0 \
        || return 1
    grep -q "^written by the host" "$tmp/disk.log" || { echo "check: FAIL disk: guest did not read host.txt"; return 1; }
    local got
    got=$(debugfs -R 'cat /guest.txt' "$img" 2>/dev/null)
    if [ "$got" = "written by the mimic guest" ]; then
        echo "check: PASS disk-host: debugfs reads /guest.txt back from the image"
        e2fsck -fn "$img" >/dev/null 2>&1 && echo "check: PASS disk-fsck: e2fsck -fn finds the image clean" \
            || { echo "check: FAIL disk-fsck: e2fsck -fn reports errors"; return 1; }
        return 0
    fi
    echo "check: FAIL disk-host: debugfs read '$got' from /guest.txt"
    return 1
}
check_net() {
    # a host HTTP server on loopback; the guest reaches it as 10.0.2.2 via
    # user networking (slirp)
    mkdir -p "$tmp/www"
    head -c 100000 /dev/urandom > "$tmp/www/blob"
    local want port
    want=$(sha256sum < "$tmp/www/blob" | cut -d' ' -f1)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    python3 -m http.server -b 127.0.0.1 -d "$tmp/www" "$port" >"$tmp/http.log" 2>&1 &
    http_pid=$!
    sleep 0.5
    boot net "^$want " "${common[@]}" -bios "$guest/fw_dynamic.bin" \
        -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
        -append "$append_base mimic.test=net mimic.url=http://10.0.2.2:$port/blob" \
        -netdev user,id=net0 -device virtio-net-device,netdev=net0
    local rc=$?
    kill "$http_pid" 2>/dev/null; wait "$http_pid" 2>/dev/null; http_pid=
    return $rc
}
check_uboot() {
    # U-Boot in S-mode on OpenSBI: with no disk and no network its boot
    # commands fail and it stops at the "=>" prompt; no input is sent.
    STOP=1 boot uboot "^=> ?$|=> $" "${common[@]}" -bios "$guest/fw_dynamic.bin" \
        -kernel "$guest/u-boot.bin" || return 1
    grep -m1 "^U-Boot 20" "$tmp/uboot.log" | sed 's/^/check:   banner: /'
}

for c in "${checks[@]}"; do
    if ! declare -F "check_$c" >/dev/null; then
        echo "check: unknown check '$c'" >&2
        exit 2
    fi
    result "check_$c"
done
echo "check: EMU=$EMU guest=$(readlink -f "$guest")"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
