#!/usr/bin/env python3
"""boot.py — Linux boot time on the RISC-V virt machine, mimic-system-riscv64
side by side with Debian's qemu-system-riscv64 (same kernel, initramfs and
options): time from launch to the first line the guest's init prints, and
the whole boot, `mimic.test=hello`, poweroff.

The one thing to know: both emulators get exactly the same command line
(below); a run only counts if the guest printed "mimic-guest: hello ok" and
powered off. Medians of --runs runs, ratios mimic/qemu (lower is better).

Usage: bench/boot.py [--build build] [--runs 5] [--smp 1] [--markdown]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

FIRST_LINE = b"mimic-guest: init started"
DONE = b"mimic-guest: hello ok"


def boot_once(emu, guest, smp):
    cmd = [emu, "-M", "virt", "-m", "256M", "-smp", str(smp), "-nographic", "-no-reboot",
           "-bios", os.path.join(guest, "fw_dynamic.bin"),
           "-kernel", os.path.join(guest, "Image"),
           "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
           "-append", "console=ttyS0 panic=-1 mimic.test=hello"]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    first = None
    out = b""
    for line in p.stdout:
        out += line
        if first is None and FIRST_LINE in line:
            first = time.perf_counter() - t0
    rc = p.wait()
    total = time.perf_counter() - t0
    ok = rc == 0 and first is not None and DONE in out
    return ok, first, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    guest = os.path.join(a.build, "guest")
    emus = [("qemu", "qemu-system-riscv64"),
            ("mimic", os.path.join(a.build, "mimic-system-riscv64"))]
    results = {}
    for name, emu in emus:
        firsts, totals = [], []
        for _ in range(a.runs):
            ok, first, total = boot_once(emu, guest, a.smp)
            if not ok:
                print("%s: a boot FAILED (no hello ok / poweroff)" % name)
                return 1
            firsts.append(first)
            totals.append(total)
        results[name] = (statistics.median(firsts), statistics.median(totals))
    q, m = results["qemu"], results["mimic"]
    rows = [("launch to init's first line", q[0], m[0]),
            ("boot, run, poweroff", q[1], m[1])]
    if a.markdown:
        print("| -smp %d, median of %d | qemu (s) | mimic (s) | mimic/qemu |" % (a.smp, a.runs))
        print("|---|---|---|---|")
        for label, qv, mv in rows:
            print("| %s | %.2f | %.2f | %.2f |" % (label, qv, mv, mv / qv))
    else:
        print("%-30s %9s %9s %10s" % ("-smp %d, median of %d" % (a.smp, a.runs), "qemu", "mimic",
                                      "mimic/qemu"))
        for label, qv, mv in rows:
            print("%-30s %8.2fs %8.2fs %10.2f" % (label, qv, mv, mv / qv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
