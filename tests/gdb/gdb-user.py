#!/usr/bin/env python3
"""gdb-user.py — the user-mode gdb stub test: mimic-riscv64 -g PORT runs
gdb-target.c and gdb-multiarch in batch mode breaks in a function, reads
registers and memory, steps, watches a global (software watchpoint) and
sees the exit code; then a raw protocol client interrupts a spinning
guest with Ctrl-C, lets it finish and sees its exit status.

Usage: gdb-user.py MIMIC PROGRAM [--backend jit|interp]
Exits 77 (skipped) without gdb-multiarch."""
import argparse
import os
import shutil
import subprocess
import sys
import time

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
    ctrl_c(a)
    print("gdb-user (%s): OK" % a.backend)
    return 0


def symbol(elf, name):
    out = subprocess.run(["riscv64-linux-gnu-nm", elf], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise KeyError(name)


def ctrl_c(a):
    port = gdbclient.free_port()
    emu = subprocess.Popen([a.mimic, "-accel", "tcg,backend=" + a.backend, "-g", str(port),
                            a.program, "spin"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        gdbclient.wait_listening(port, emu)
        c = gdbclient.RawClient(port)
        for want, pkt in (("T05", "?"), ("vCont;c;C;s;S;t", "vCont?")):
            r = c.ask(pkt)
            if not r.startswith(want):
                raise AssertionError("%s: %r" % (pkt, r))
        c.send("vCont;c")
        time.sleep(0.3)
        c.send_raw(b"\x03")
        r = c.recv()
        if not r.startswith("T02"):
            raise AssertionError("Ctrl-C: %r" % r)
        spins = int.from_bytes(bytes.fromhex(c.ask("m%x,8" % symbol(a.program, "spins"))),
                               "little")
        if spins == 0:
            raise AssertionError("the guest did not spin")
        if c.ask("M%x,4:01000000" % symbol(a.program, "stop_spin")) != "OK":
            raise AssertionError("M failed")
        c.send("c")
        r = c.recv()
        if r != "W07":
            raise AssertionError("exit: %r" % r)
        out, _ = emu.communicate(timeout=30)
        c.close()
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
    if emu.returncode != 7 or b"spun" not in out:
        raise AssertionError("spin: status %d, output %r" % (emu.returncode, out))


if __name__ == "__main__":
    sys.exit(main())
