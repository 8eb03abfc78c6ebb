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
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

DEADLINE = 300


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Guest:
    """One emulator run; console lines are collected with their arrival times."""

    def __init__(self, emu, guest, append, extra):
        cmd = [emu, "-M", "virt", "-m", "256M", "-nographic", "-no-reboot",
               "-bios", os.path.join(guest, "fw_dynamic.bin"),
               "-kernel", os.path.join(guest, "Image"),
               "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
               "-append", "console=ttyS0 panic=-1 mimic.test=netbench " + append] + extra
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stdout:
            self.lines.append((time.perf_counter(), raw.decode(errors="replace").rstrip()))

    def wait_for(self, pattern):
        rx = re.compile(pattern)
        end = time.time() + DEADLINE
        while time.time() < end:
            for when, line in list(self.lines):
                m = rx.search(line)
                if m:
                    return when, m
            if self.p.poll() is not None and not self.t.is_alive():
                break
            time.sleep(0.01)
        raise RuntimeError("guest never printed /%s/; last lines:\n%s" %
                           (pattern, "\n".join(l for _, l in self.lines[-10:])))

    def finish(self):
        try:
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()


def run_user(emu, guest, size):
    down, up = free_port(), free_port()
    g = Guest(emu, guest, "mimic.role=user mimic.size=%d" % size,
              ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:81"
               % (down, up), "-device", "virtio-net-device,netdev=n0"])
    try:
        g.wait_for(r"netbench serving")
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
        when, m = g.wait_for(r"netbench received (\d+) bytes")
        t_up = when - t0
        if int(m.group(1)) != size << 20:
            raise RuntimeError("guest received %s bytes, expected %d" % (m.group(1), size << 20))
        return size / t_down, size / t_up
    finally:
        g.finish()


def run_socket(emu, guest, size):
    port = free_port()
    a = Guest(emu, guest, "mimic.role=a mimic.size=%d" % size,
              ["-netdev", "socket,id=n0,listen=127.0.0.1:%d" % port,
               "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:01"])
    b = None
    try:
        a.wait_for(r"netbench a listening")
        b = Guest(emu, guest, "mimic.role=b mimic.size=%d" % size,
                  ["-netdev", "socket,id=n0,connect=127.0.0.1:%d" % port,
                   "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:02"])
        t0, _ = b.wait_for(r"netbench b sending")
        t1, m = a.wait_for(r"netbench a received (\d+) bytes")
        if int(m.group(1)) != size << 20:
            raise RuntimeError("guest a received %s bytes, expected %d" % (m.group(1), size << 20))
        return size / (t1 - t0)
    finally:
        a.finish()
        if b:
            b.finish()


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
