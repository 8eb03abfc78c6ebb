#!/usr/bin/env python3
"""img-bench.py — times mimic-img against qemu-img on the same files and prints
a table of median wall-clock and CPU (user + system) times and the ratios
mimic/qemu (lower is better; 0.50 means mimic-img takes half the time). Run by
hand, not by `make check`. On a busy machine the CPU ratio is the steadier one.

Cases: `bench -w` sequential 64 KiB writes and scattered 4 KiB writes (a step
coprime with the image size, so offsets wrap over the whole image in a
shuffled order; qemu-img bench has no random mode) to a fresh qcow2 image;
`convert` of a sparse raw image with some GiB of data to qcow2 (also with
-W -m 16), of the same data from qcow2 to raw, and `convert -c` to a
compressed qcow2 with zlib and with zstd. Both tools run each case in turn
in the same run, so a busy machine slows both.

The one thing to know: a case only counts when both tools produced the same
content (qemu-img compare), so a fast wrong answer shows as FAIL. Files live
in --dir (default /dev/shm, so that the disk's noise does not hide the
tools' own cost; pass a disk directory to include it). --markdown prints
the table for bench/IMG-RESULTS.md.
Usage: bench/img-bench.py [--build build] [--runs 3] [--size-gb 8]
                          [--data-gb 2] [--dir DIR] [--only NAME,...] [--markdown]
(sizes may be fractions: --size-gb 1 --data-gb 0.5)
"""
import argparse
import datetime
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHUNK = 64 << 20  # data is written in runs of this size, evenly spread


def make_source(path, size_gb, data_gb):
    """A sparse raw image of size_gb with data_gb of data: alternating 64 KiB
    blocks of random bytes and of text, so that compression has work to do."""
    size, data = int(size_gb * (1 << 30)), int(data_gb * (1 << 30))
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    runs = max(1, data // CHUNK)
    gap = size // runs
    rnd = random.Random(1)
    with open(path, "wb") as f:
        f.truncate(size)
        for i in range(runs):
            blk = bytearray()
            for j in range(CHUNK >> 16):
                if j % 2:
                    blk += rnd.randbytes(65536)
                else:
                    line = b"mimic-img bench block %08d " % (i * 1024 + j)
                    blk += (line * (65536 // len(line) + 1))[:65536]
            f.seek(i * gap)
            f.write(blk)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd):
    """(wall seconds, CPU seconds user + system) of one run."""
    c0, t0 = cpu_children(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t1, c1 = time.perf_counter(), cpu_children()
    if proc.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), proc.stdout.decode()))
    return t1 - t0, c1 - c0


def same(qemu, a, b):
    return subprocess.run([qemu, "compare", "-q", a, b]).returncode == 0


def case_bench(tool, qemu, d, args, size):
    out = os.path.join(d, "bench-%s.qcow2" % os.path.basename(tool))
    subprocess.run([qemu, "create", "-q", "-f", "qcow2", out, size], check=True)
    return timed([tool, "bench", "-w", *args, out]), out


def case_convert(tool, qemu, d, src, extra, src_fmt="raw", out_fmt="qcow2"):
    out = os.path.join(d, "conv-%s.%s" % (os.path.basename(tool), out_fmt))
    if os.path.exists(out):
        os.unlink(out)
    return timed([tool, "convert", *extra, "-f", src_fmt, "-O", out_fmt, src, out]), out


def qcow2_source(qemu, src):
    """The raw source as a qcow2 image written by qemu-img (for qcow2 -> raw)."""
    out = src[:-4] + ".qcow2"
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        subprocess.run([qemu, "convert", "-f", "raw", "-O", "qcow2", src, out], check=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--qemu-img", default=shutil.which("qemu-img"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-gb", type=float, default=8)
    ap.add_argument("--data-gb", type=float, default=2)
    ap.add_argument("--dir", default="/dev/shm/mimic-img-bench")
    ap.add_argument("--only", default="")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    mimic = os.path.abspath(os.path.join(args.build, "mimic-img"))
    if not args.qemu_img or not os.access(mimic, os.X_OK):
        sys.exit("need %s and qemu-img (package qemu-utils)" % mimic)
    os.makedirs(args.dir, exist_ok=True)
    src = os.path.join(args.dir, "src.raw")
    make_source(src, args.size_gb, args.data_gb)
    qsrc = qcow2_source(args.qemu_img, src)

    step = str(4096 * 104729)  # a prime number of 4 KiB blocks: coprime with 1 GiB
    cases = [
        ("bench-seq", "bench -w: 16384 x 64 KiB sequential writes, depth 16, fresh 1 GiB qcow2",
         lambda t: case_bench(t, args.qemu_img, args.dir,
                              ["-c", "16384", "-s", "64k", "-d", "16"], "1G")),
        ("bench-4k", "bench -w: 65536 x 4 KiB scattered writes, depth 16, fresh 1 GiB qcow2",
         lambda t: case_bench(t, args.qemu_img, args.dir,
                              ["-c", "65536", "-s", "4k", "-S", step, "-d", "16"], "1G")),
        ("convert", "convert raw -> qcow2: %g GiB sparse, %g GiB data"
         % (args.size_gb, args.data_gb),
         lambda t: case_convert(t, args.qemu_img, args.dir, src, [])),
        ("convert-W", "convert -W -m 16 raw -> qcow2, same source",
         lambda t: case_convert(t, args.qemu_img, args.dir, src, ["-W", "-m", "16"])),
        ("conv-raw", "convert qcow2 -> raw: the same data, as a qcow2 image from qemu-img",
         lambda t: case_convert(t, args.qemu_img, args.dir, qsrc, [], "qcow2", "raw")),
        ("convert-c", "convert -c raw -> compressed qcow2 (zlib), same source",
         lambda t: case_convert(t, args.qemu_img, args.dir, src, ["-c"])),
        ("conv-zstd", "convert -c -o compression_type=zstd raw -> compressed qcow2",
         lambda t: case_convert(t, args.qemu_img, args.dir, src,
                                ["-c", "-o", "compression_type=zstd"])),
    ]
    only = set(filter(None, args.only.split(",")))
    rows = []
    for name, what, run in cases:
        if only and name not in only:
            continue
        wall = {"qemu": [], "mimic": []}
        cpu = {"qemu": [], "mimic": []}
        ok = True
        for _ in range(args.runs):
            (wq, cq), outq = run(args.qemu_img)
            (wm, cm), outm = run(mimic)
            wall["qemu"].append(wq)
            wall["mimic"].append(wm)
            cpu["qemu"].append(cq)
            cpu["mimic"].append(cm)
            ok = ok and same(args.qemu_img, outq, outm)
        q, m = statistics.median(wall["qemu"]), statistics.median(wall["mimic"])
        cq, cm = statistics.median(cpu["qemu"]), statistics.median(cpu["mimic"])
        rows.append((name, what, q, m, m / q if ok else None, cq, cm,
                     cm / cq if ok and cq else None))
        print("%-10s qemu %.2fs (cpu %.2fs) mimic %.2fs (cpu %.2fs)" % (name, q, cq, m, cm),
              file=sys.stderr)

    head = ("case", "qemu-img s", "mimic-img s", "mimic/qemu", "qemu CPU s", "mimic CPU s",
            "CPU mimic/qemu", "what")
    ratio = (lambda x: "%.2f" % x if x else "FAIL")
    cells = (lambda r: (r[0], "%.2f" % r[2], "%.2f" % r[3], ratio(r[4]), "%.2f" % r[5],
                        "%.2f" % r[6], ratio(r[7]), r[1]))
    print("%s, %s, %d CPUs, load average %.1f, %s, files in %s, median of %d runs" % (
        datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), platform.node(),
        os.cpu_count(), os.getloadavg()[0],
        subprocess.run([args.qemu_img, "--version"], stdout=subprocess.PIPE)
        .stdout.decode().splitlines()[0], args.dir, args.runs))
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(cells(r)) + " |")
    else:
        print("%-10s %10s %11s %10s %10s %11s %14s  %s" % head)
        for r in rows:
            print("%-10s %10s %11s %10s %10s %11s %14s  %s" % cells(r))

if __name__ == "__main__":
    main()
