#!/usr/bin/env python3
"""jit-profile.py — where a user-mode guest program spends its time, by
translated block: runs it under `perf record` (cpu-clock sampling) with
mimic logging the host code of every block, and maps each sample back to
the guest block whose code contains it.

The one thing to know: translated code lives in an anonymous memfd
("memfd:mimic-code"), so perf alone cannot name it; the out_asm log gives
each block's host address range in the same run. Logging slows translation
(capstone, libc), so the shares of mimic's own code are inflated; compare
blocks with each other. Needs perf (Debian: linux-perf); this VM has no
hardware counters, hence cpu-clock.
Usage: scripts/jit-profile.py [--mimic build/mimic-riscv64] [--top 25]
                              [--keep DIR] program [args...]
Then read a block's guest and host code in DIR/out.log (`IN: guest code at 0x...`).
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mimic", default="build/mimic-riscv64")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--keep", help="directory for the log and perf data (default: a temporary one)")
    ap.add_argument("program", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.program:
        ap.error("no program given")
    work = args.keep or tempfile.mkdtemp(prefix="jit-profile-")
    os.makedirs(work, exist_ok=True)
    log, data = os.path.join(work, "out.log"), os.path.join(work, "perf.data")
    cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "20000", "-o", data,
           args.mimic, "-d", "in_asm,out_asm", "-D", log] + args.program
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
        print(f"jit-profile: {' '.join(cmd)} failed", file=sys.stderr)
        return 1
    blocks = []
    with open(log, errors="replace") as f:
        for line in f:
            m = re.match(r"OUT: host code for guest (0x[0-9a-f]+) at (0x[0-9a-f]+), (\d+) bytes", line)
            if m:
                blocks.append((int(m.group(2), 16), int(m.group(3)), m.group(1)))
    blocks.sort()
    starts = [b[0] for b in blocks]
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,dso"],
                            capture_output=True, text=True).stdout
    counts, total = collections.Counter(), 0
    for line in script.splitlines():
        parts = line.split()
        if not parts:
            continue
        total += 1
        ip = int(parts[0], 16)
        i = bisect.bisect_right(starts, ip) - 1
        if i >= 0 and ip < blocks[i][0] + blocks[i][1]:
            counts["block " + blocks[i][2]] += 1
        else:
            counts[parts[1] if len(parts) > 1 else "?"] += 1
    for name, n in counts.most_common(args.top):
        print(f"{100 * n / max(total, 1):6.2f}%  {name}")
    print(f"({total} samples; log and perf data in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
