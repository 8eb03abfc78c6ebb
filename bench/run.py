#!/usr/bin/env python3
"""run.py — `make bench`: builds every program in bench/programs natively and
for riscv64, runs each under native, qemu-riscv64 and mimic, and prints a
table of the best (shortest) wall-clock time of each and the ratios
mimic/qemu and mimic/native (time ratios: lower is better; mimic/qemu 0.50
means mimic is twice as fast).

The one thing to know: a run only counts when its output equals the native
output, so a fast wrong answer shows up as FAIL, not as a good number. The
table format is stable (bench/RESULTS.md keeps dated copies); --markdown
prints the same table as Markdown for RESULTS.md. The three runners take
turns run by run, and each keeps its best run: on this VM a burst of host
load slows a run by 10-40%, never speeds one up, so the best of several is
the most repeatable figure (--median gives medians, as results up to
2026-12-08 did).
Usage: bench/run.py [--build build] [--runs 5] [--median] [--only NAME,...] [--markdown]
"""
import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = [
    # name, what it stresses
    ("listmat", "integer and control flow (lists, matrices, state machine)"),
    ("bytecode", "interpreter: indirect jumps and calls"),
    ("sorthash", "memory: quicksort 1M ints, hash 16 MiB"),
    ("compress", "strings: LZ77 compress and decompress"),
    ("recurse", "calls and returns: fib, ackermann, trees"),
    ("nbody", "floating point: n-body"),
    ("fft", "floating point: FFT and matrix product"),
]
CFLAGS = ["-O2", "-ffp-contract=off"]


def build(build_dir, name):
    src = os.path.join(HERE, "programs", name + ".c")
    out = os.path.join(build_dir, "bench")
    os.makedirs(out, exist_ok=True)
    native, guest = os.path.join(out, name + ".native"), os.path.join(out, name + ".rv64")
    for cc, exe, extra in (("gcc", native, []), ("riscv64-linux-gnu-gcc", guest, ["-static"])):
        if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
            subprocess.run([cc] + CFLAGS + extra + [src, "-o", exe, "-lm"], check=True)
    return native, guest


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - t0, p.returncode, p.stdout


def measure(cmds, want, runs, stat):
    """stat (min or median) of runs runs of each command, the commands taking turns
    (run 1 of each, then run 2 of each...) so that a burst of load on the
    host slows all of them alike instead of one runner's whole series; a
    command's time is None if any of its runs failed or printed something
    else than want."""
    times = [[] for _ in cmds]
    failed = [False for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            if failed[i]:
                continue
            t, rc, out = timed(cmd)
            if rc != 0 or (want is not None and out != want):
                failed[i] = True
            times[i].append(t)
    return [None if failed[i] else stat(times[i]) for i in range(len(cmds))]


def host_description():
    model = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cpus"


def fmt_time(t):
    return "FAIL" if t is None else f"{t:.3f}"


def fmt_ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}"


def geomean(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", help="comma-separated benchmark names")
    ap.add_argument("--qemu", default="qemu-riscv64")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--median", action="store_true", help="medians instead of best runs")
    args = ap.parse_args()
    mimic = os.path.join(args.build, "mimic-riscv64")
    if not os.path.exists(mimic):
        print(f"bench: {mimic} not found; run make first", file=sys.stderr)
        return 1
    names = [n for n, _ in PROGRAMS]
    if args.only:
        names = [n for n in args.only.split(",") if n in names]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    stat = "median" if args.median else "best"
    print(f"mimic bench, {now}; host: {host_description()}; {stat} of {args.runs} runs; "
          f"times in seconds", flush=True)
    rows = []
    for name in names:
        native, guest = build(args.build, name)
        t_native, rc, want = timed([native])
        if rc != 0:
            print(f"bench: native {name} failed with status {rc}", file=sys.stderr)
            return 1
        t_native, t_qemu, t_mimic = measure([[native], [args.qemu, guest], [mimic, guest]], want,
                                            args.runs, statistics.median if args.median else min)
        rows.append((name, t_native, t_qemu, t_mimic))
        if not args.markdown:
            print(f"  {name:10s} native {fmt_time(t_native)}  qemu {fmt_time(t_qemu)}  "
                  f"mimic {fmt_time(t_mimic)}", file=sys.stderr, flush=True)
    header = ["benchmark", "native", "qemu", "mimic", "mimic/qemu", "mimic/native"]
    table = [[n, fmt_time(a), fmt_time(q), fmt_time(m), fmt_ratio(m, q), fmt_ratio(m, a)]
             for n, a, q, m in rows]
    gq = geomean([m / q for _, _, q, m in rows if m is not None and q is not None])
    gn = geomean([m / a for _, a, _, m in rows if m is not None and a is not None])
    counted = sum(1 for r in rows if r[3] is not None and r[2] is not None)
    table.append([f"geomean ({counted}/{len(rows)})", "", "", "",
                  "-" if gq is None else f"{gq:.2f}", "-" if gn is None else f"{gn:.2f}"])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
        for row in [header] + table:
            print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                            enumerate(zip(row, widths))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
