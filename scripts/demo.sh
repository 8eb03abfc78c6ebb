#!/bin/bash
# demo.sh — builds a small RISC-V 64 Linux program, runs it under mimic with
# the JIT and with the reference interpreter, and says in plain words what
# happened (and whether qemu-riscv64, the oracle, agrees).
#
# The one thing to know: every number printed here is measured in this run;
# nothing is claimed that the run did not show.
# Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mimic=$build/mimic-riscv64
src=tests/guest/riscv64/demo.c
work=$build/demo
mkdir -p "$work"

if [ ! -x "$mimic" ]; then
    echo "demo: $mimic is missing; run 'make' first" >&2
    exit 1
fi

echo "== 1. Building $src for RISC-V 64 (static, riscv64-linux-gnu-gcc -O2)"
riscv64-linux-gnu-gcc -static -O2 "$src" -o "$work/demo"
echo "   $(riscv64-linux-gnu-readelf -h "$work/demo" | grep -E 'Class|Machine' | tr -s ' ' | tr '\n' ';')"
echo

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

echo "== 2. Running it under mimic's JIT (x86-64 code generated on the fly)"
t0=$(now)
set +e
"$mimic" -d exec -D "$work/jit.log" "$work/demo" > "$work/jit.out" 2> "$work/jit.err"
jit_status=$?
set -e
t1=$(now)
cat "$work/jit.out"
echo

echo "== 3. Running it again under mimic's reference IR interpreter"
t2=$(now)
set +e
"$mimic" -accel tcg,backend=interp "$work/demo" > "$work/interp.out" 2> "$work/interp.err"
interp_status=$?
set -e
t3=$(now)
echo

oracle_note="qemu-riscv64 (the oracle) is not installed, so no third opinion"
if command -v qemu-riscv64 > /dev/null; then
    qemu-riscv64 "$work/demo" > "$work/qemu.out" || true
    if cmp -s "$work/jit.out" "$work/qemu.out"; then
        oracle_note="qemu-riscv64 (used only as an oracle) printed exactly the same"
    else
        oracle_note="qemu-riscv64 (the oracle) printed something DIFFERENT (see $work/qemu.out)"
    fi
fi

stats=$(grep -m1 'blocks translated' "$work/jit.log" 2>/dev/null || true)
echo "== What just happened"
if [ "$jit_status" != 0 ]; then
    echo "- The RISC-V 64 program FAILED under mimic's JIT: exit status $jit_status"
    echo "  (above 128 means killed by signal $((jit_status - 128))). mimic said:"
    sed 's/^/    /' "$work/jit.err" | tail -n 5
    echo "- Under the reference interpreter: exit status $interp_status."
    echo "- $oracle_note."
    exit 1
fi
echo "- A RISC-V 64 Linux program (static, built with riscv64-linux-gnu-gcc) ran on this"
echo "  $(uname -m) host under mimic's JIT in $(ms "$t0" "$t1") ms, exit status $jit_status;"
echo "  it printed $(wc -l < "$work/jit.out") lines, ending with: $(tail -n1 "$work/jit.out")"
if [ -n "$stats" ]; then
    echo "- mimic's own statistics (-d exec): ${stats#exec: }"
fi
if cmp -s "$work/jit.out" "$work/interp.out" && [ "$jit_status" = "$interp_status" ]; then
    echo "- The reference interpreter ran the same program in $(ms "$t2" "$t3") ms and printed the same."
else
    echo "- The reference interpreter (exit status $interp_status) printed something DIFFERENT:"
    diff "$work/jit.out" "$work/interp.out" | head -10 || true
fi
echo "- $oracle_note."
user_ok=0
[ "$jit_status" = 0 ] && cmp -s "$work/jit.out" "$work/interp.out" || user_ok=1
echo

# ---- 5. A whole RISC-V computer: Linux on the virt machine ----------------
system=$build/mimic-system-riscv64
guest=$build/guest
if [ ! -f "$guest/Image" ]; then
    echo "demo: $guest is missing; 'make demo' builds it (scripts/build-guest.sh)" >&2
    exit 1
fi
boot=("$system" -M virt -m 256M -smp 2 -nographic -kernel "$guest/Image"
      -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 earlycon=sbi")
echo "== 5. Booting Linux on an emulated RISC-V computer (QEMU's 'virt' machine):"
echo "   OpenSBI firmware (Debian's) -> Linux $(strings "$guest/Image" | grep -m1 -oE 'Linux version [0-9.]+' | cut -d' ' -f3) -> a busybox shell"
cmdline=$(printf '%q ' "${boot[@]}")
echo "   \$ $cmdline"
if [ -t 0 ] && [ -t 1 ]; then
    echo "   You get the guest's shell: try 'uname -a', 'cat /proc/cpuinfo', 'ls /'."
    echo "   'exit' powers the guest off; Ctrl-a x leaves at any time."
    echo
    "${boot[@]}"
    echo
    echo "== The guest powered off; that was Linux on mimic's RISC-V system emulator."
    exit $user_ok
fi
echo "   (stdin is not a terminal, so these commands are typed into the guest's shell for you)"
echo
t0=$(now)
set +e
{ sleep 8; printf 'uname -a\n'; sleep 1; printf 'grep -E "processor|isa|mmu" /proc/cpuinfo\n'; sleep 1
  printf 'free\n'; sleep 1; printf 'exit\n'; sleep 4; } | "${boot[@]}" > "$work/linux.out" 2>&1
linux_status=$?
set -e
t1=$(now)
tr -d '\r' < "$work/linux.out" | sed 's/\x1b\[6n//g' | grep -vE '^\[ +[0-9]+\.[0-9]+\] ' | grep -v '^$' | tail -n 22
echo
echo "== What just happened (Linux)"
if grep -q "reboot: Power down" "$work/linux.out" && [ "$linux_status" = 0 ]; then
    echo "- mimic emulated a RISC-V computer: firmware, then a Linux kernel that booted"
    echo "  $(grep -c '^\[' "$work/linux.out") lines of boot messages, started busybox's shell, ran the commands"
    echo "  above and powered off, all in $(ms "$t0" "$t1") ms (most of it the pauses while 'typing')."
    echo "- The shell got its input through the emulated 16550 UART, the disk-less root is the"
    echo "  initramfs, and poweroff went through SBI to the virt machine's test device."
    echo "- Boot log: $work/linux.out. Run it yourself in a terminal for an interactive shell:"
    echo "    $cmdline"
else
    echo "- The Linux boot did NOT complete (exit status $linux_status); the log: $work/linux.out"
    exit 1
fi
exit $user_ok
