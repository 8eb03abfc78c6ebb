#!/usr/bin/env python3
"""gdb-user.py — the user-mode gdb stub test: mimic-riscv64 -g PORT runs
gdb-target.c and gdb-multiarch in batch mode breaks in a function, reads
registers and memory, steps, watches a global (software watchpoint) and
sees the exit code.

Usage: gdb-user.py MIMIC PROGRAM [--backend jit|interp]
Exits 77 (skipped) without gdb-multiarch."""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbclient  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mimic")
    ap.add_argument("program")
    ap.add_argument("--backend", default="jit")
    a = ap.parse_args()
    if not shutil.which(gdbclient.GDB):
        print("SKIP: gdb-multiarch is not installed (scripts/setup.sh installs it)")
        return 77
    port = gdbclient.free_port()
    emu = subprocess.Popen([a.mimic, "-accel", "tcg,backend=" + a.backend, "-g", str(port),
                            a.program], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    try:
        gdbclient.wait_listening(port, emu)
        out = gdbclient.run_gdb(a.program, port, [
            "break add_twice", "continue", "info registers pc", "p $a0", "p $a1",
            "stepi", "info registers pc", "x/2xw &counter", "continue", "p $a0",
            "delete", "set can-use-hw-watchpoints 0", "watch counter", "continue",
            "continue", "p $sp != 0", "p/x $fcsr", "continue"])
        gdbclient.check_output(out, [
            "Breakpoint 1 at", "Breakpoint 1, add_twice (a=",
            "pc ", "<add_twice>", "$1 = 0", "$2 = 5",
            "pc ", "<add_twice+", "<counter>:\t0x00000000",
            "Breakpoint 1, add_twice", "$3 = 1",
            "Watchpoint 2: counter", "Old value = 0", "New value = 33",
            "Old value = 33", "New value = 34", "$4 = 1", "$5 = 0x0",
            "exited with code 042"])
        emu_out, _ = emu.communicate(timeout=30)
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
    text = emu_out.decode(errors="replace")
    if emu.returncode != 34 or "sum=33 counter=34" not in text:
        print(text)
        print("FAIL: the program's output or exit status (%d) is wrong" % emu.returncode)
        return 1
    print("gdb-user (%s): OK" % a.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
