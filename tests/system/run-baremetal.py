#!/usr/bin/env python3
"""run-baremetal.py — runs a bare-metal program on mimic-system-riscv64
(-bios none -kernel PROG) and compares its serial output with the expected
file, which was produced by the same program under qemu-system-riscv64.

Usage: run-baremetal.py EMULATOR PROG EXPECTED [--backend jit|interp]
                        [--oracle qemu-system-riscv64] [--smp N]

With --oracle, the program also runs under that emulator and its output
must match too (the check that EXPECTED is still what QEMU prints).
"""
import argparse
import difflib
import subprocess
import sys

TIMEOUT = 60


def run(cmd):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace")
    return p.returncode, p.stdout.decode(errors="replace")


def compare(name, got, expected):
    if got == expected:
        return True
    print("%s: output differs from the expected output:" % name)
    sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), got.splitlines(True),
                                               "expected", name))
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("emulator")
    ap.add_argument("prog")
    ap.add_argument("expected")
    ap.add_argument("--backend", default="jit")
    ap.add_argument("--oracle")
    ap.add_argument("--smp", default="1")
    a = ap.parse_args()
    expected = open(a.expected).read()
    base = ["-M", "virt", "-m", "128M", "-nographic", "-bios", "none", "-kernel", a.prog,
            "-smp", a.smp]
    ok = True
    rc, out = run([a.emulator] + base + ["-accel", "tcg,backend=" + a.backend])
    if rc is None:
        print("mimic: timed out after %d s; output so far:\n%s" % (TIMEOUT, out))
        return 1
    if rc != 0:
        print("mimic: exit status %d (expected 0 from the test finisher)" % rc)
        ok = False
    ok &= compare("mimic", out, expected)
    if a.oracle:
        rc, out = run([a.oracle] + base)
        if rc is None or rc != 0:
            print("oracle: exit status %s" % rc)
            ok = False
        ok &= compare("oracle", out, expected)
    print("%s: %s" % (a.prog, "ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
