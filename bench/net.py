#!/usr/bin/env python3
"""net.py — guest network throughput on the RISC-V virt machine, mimic-system-riscv64
side by side with Debian's qemu-system-riscv64 (same kernel, initramfs and command
line; the guest side is tests/system/guest/tests/netbench.sh):

  user, guest -> host   the host downloads SIZE MiB from the guest's httpd (hostfwd)
  user, host -> guest   the host sends SIZE MiB into the guest's nc (hostfwd); the
                        time ends when the guest reports the byte count
  socket, guest -> guest  guest b sends SIZE MiB to guest a over -netdev socket;
                        timed from b's "sending" line to a's "received" line

The one thing to know: both emulators get exactly the same options, everything stays
on loopback, and a run counts only if every byte arrived. Medians of --runs runs, in
MiB/s; mimic/qemu is a throughput ratio (higher is better for mimic).

Usage: bench/net.py [--build build] [--runs 3] [--size 16] [--markdown]
"""
import argparse
import os
import socket
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "system", "guest"))
from guestrun import Guest, free_port  # noqa: E402

DEADLINE = 300


def boot(emu, guest, append, extra):
    return Guest(emu, guest, "mimic.test=netbench " + append, extra,
                 bios=os.path.join(guest, "fw_dynamic.bin"))


def wait_for(g, pattern):
    found = g.wait_for_timed(pattern, time.time() + DEADLINE)
    if not found:
        raise RuntimeError("guest never printed /%s/; last lines:\n%s" % (pattern, g.tail(10)))
    return found


def finish(g):
    g.finish(time.time() + 60)


def run_user(emu, guest, size):
    down, up = free_port(), free_port()
    g = boot(emu, guest, "mimic.role=user mimic.size=%d" % size,
              ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:81"
               % (down, up), "-device", "virtio-net-device,netdev=n0"])
    try:
        wait_for(g, r"netbench serving")
        t0 = time.perf_counter()
        data = urllib.request.urlopen("http://127.0.0.1:%d/blob" % down, timeout=120).read()
        t_down = time.perf_counter() - t0
        if len(data) != size << 20:
            raise RuntimeError("downloaded %d bytes, expected %d" % (len(data), size << 20))
        chunk = b"\0" * (1 << 20)
        t0 = time.perf_counter()
        with socket.create_connection(("127.0.0.1", up), timeout=120) as s:
            for _ in range(size):
                s.sendall(chunk)
        when, m = wait_for(g, r"netbench received (\d+) bytes")
        t_up = when - t0
        if int(m.group(1)) != size << 20:
            raise RuntimeError("guest received %s bytes, expected %d" % (m.group(1), size << 20))
        return size / t_down, size / t_up
    finally:
        finish(g)


def run_socket(emu, guest, size):
    port = free_port()
    a = boot(emu, guest, "mimic.role=a mimic.size=%d" % size,
              ["-netdev", "socket,id=n0,listen=127.0.0.1:%d" % port,
               "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:01"])
    b = None
    try:
        wait_for(a, r"netbench a listening")
        b = boot(emu, guest, "mimic.role=b mimic.size=%d" % size,
                  ["-netdev", "socket,id=n0,connect=127.0.0.1:%d" % port,
                   "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:02"])
        t0, _ = wait_for(b, r"netbench b sending")
        t1, m = wait_for(a, r"netbench a received (\d+) bytes")
        if int(m.group(1)) != size << 20:
            raise RuntimeError("guest a received %s bytes, expected %d" % (m.group(1), size << 20))
        return size / (t1 - t0)
    finally:
        finish(a)
        if b:
            finish(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=16, help="MiB per transfer")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    guest = os.path.join(a.build, "guest")
    emus = [("qemu", "qemu-system-riscv64"),
            ("mimic", os.path.join(a.build, "mimic-system-riscv64"))]
    res = {}
    for name, emu in emus:
        down, up, sock = [], [], []
        for _ in range(a.runs):
            d, u = run_user(emu, guest, a.size)
            down.append(d)
            up.append(u)
            sock.append(run_socket(emu, guest, a.size))
        res[name] = [statistics.median(x) for x in (down, up, sock)]
    labels = ["user, guest -> host", "user, host -> guest", "socket, guest -> guest"]
    head = ("%d MiB, median of %d" % (a.size, a.runs), "qemu", "mimic", "mimic/qemu")
    if a.markdown:
        print("| %s | qemu (MiB/s) | mimic (MiB/s) | mimic/qemu |" % head[0])
        print("|---|---|---|---|")
        for i, label in enumerate(labels):
            q, m = res["qemu"][i], res["mimic"][i]
            print("| %s | %.1f | %.1f | %.2f |" % (label, q, m, m / q))
    else:
        print("%-26s %10s %10s %11s" % head)
        for i, label in enumerate(labels):
            q, m = res["qemu"][i], res["mimic"][i]
            print("%-26s %8.1f/s %8.1f/s %11.2f" % (label, q, m, m / q))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print("net.py: FAILED: %s" % e)
        sys.exit(1)
