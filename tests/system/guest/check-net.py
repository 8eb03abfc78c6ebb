#!/usr/bin/env python3
"""check-net.py — networking of the guest images end to end, on loopback
only: a TCP service in the guest reached from the host through -netdev user
hostfwd (4 MiB down through the guest's httpd, 4 MiB up into its nc, both
digests compared), and two guests joined by -netdev socket (listen/connect)
that ping each other and move 1 MiB.

Usage: check-net.py EMULATOR GUESTDIR    (exit 0 when every check passed)
"""
import hashlib
import os
import re
import socket
import sys
import time
import urllib.request

from guestrun import Guest, free_port

TIMEOUT = 300


def check_hostfwd(emu, guest):
    down, up = free_port(), free_port()
    g = Guest(emu, guest, "mimic.test=hostfwd",
              ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:81"
               % (down, up), "-device", "virtio-net-device,netdev=n0"])
    deadline = time.time() + TIMEOUT
    m = g.wait_for(r"mimic-guest: serving ([0-9a-f]{64})", deadline)
    if not m:
        print("FAIL hostfwd: the guest never served its file\n" + g.tail())
        g.p.kill()
        return False
    data = urllib.request.urlopen("http://127.0.0.1:%d/blob" % down, timeout=120).read()
    ok = hashlib.sha256(data).hexdigest() == m.group(1) and len(data) == 4 << 20
    print("%s hostfwd down: %d bytes from the guest's httpd, digest %s" %
          ("PASS" if ok else "FAIL", len(data), "matches" if ok else "DIFFERS"))
    payload = os.urandom(4 << 20)
    with socket.create_connection(("127.0.0.1", up), timeout=120) as s:
        s.sendall(payload)
    m2 = g.wait_for(r"mimic-guest: received ([0-9a-f]{64})", deadline)
    ok_up = bool(m2) and m2.group(1) == hashlib.sha256(payload).hexdigest()
    print("%s hostfwd up: 4 MiB into the guest's nc, digest %s" %
          ("PASS" if ok_up else "FAIL", "matches" if ok_up else "missing or different"))
    rc = g.finish(deadline)
    if rc != 0:
        print("FAIL hostfwd: the guest did not power off cleanly (exit %s)\n%s" % (rc, g.tail()))
    return ok and ok_up and rc == 0


def check_pair(emu, guest):
    port = free_port()
    deadline = time.time() + TIMEOUT
    a = Guest(emu, guest, "mimic.test=pair mimic.role=a",
              ["-netdev", "socket,id=n0,listen=127.0.0.1:%d" % port,
               "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:01"])
    if not a.wait_for(r"mimic-guest: pair a listening", deadline):
        print("FAIL pair: guest a did not come up\n" + a.tail())
        a.p.kill()
        return False
    b = Guest(emu, guest, "mimic.test=pair mimic.role=b",
              ["-netdev", "socket,id=n0,connect=127.0.0.1:%d" % port,
               "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:02"])
    rb, ra = b.finish(deadline), a.finish(deadline)
    ping = any(" 0% packet loss" in l for l in b.lines)
    sent = [re.search(r"pair b sending ([0-9a-f]{64})", l) for l in b.lines]
    got = [re.search(r"pair a received ([0-9a-f]{64})", l) for l in a.lines]
    sent = next((m.group(1) for m in sent if m), None)
    got = next((m.group(1) for m in got if m), None)
    ok = ping and sent is not None and sent == got and ra == 0 and rb == 0
    print("%s pair: ping %s, 1 MiB b -> a %s (exits %s, %s)" %
          ("PASS" if ok else "FAIL", "answered" if ping else "LOST",
           "intact" if sent and sent == got else "MISSING", ra, rb))
    if not ok:
        print("guest a:\n" + a.tail() + "\nguest b:\n" + b.tail())
    return ok


def main():
    emu, guest = sys.argv[1], sys.argv[2]
    for f in ("Image", "initramfs.cpio.gz"):
        if not os.path.exists(os.path.join(guest, f)):
            print("check-net: %s/%s missing; run scripts/build-guest.sh" % (guest, f))
            return 1
    results = [check_hostfwd(emu, guest), check_pair(emu, guest)]
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
