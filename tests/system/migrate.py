#!/usr/bin/env python3
"""migrate.py — live migration of a running Linux guest between two
mimic-system-riscv64 processes over TCP on loopback, and the failures that
must be refused cleanly.

Usage: migrate.py MIMIC-SYSTEM MIMIC-IMG GUEST-DIR [COUNT-ELF]

1. The guest's shell writes a counter file and random blocks to its disk in
   a loop and holds a file of random bytes in RAM (tmpfs) while it migrates;
   on the destination the shell answers, the loop goes on, the RAM file has
   its checksum and the disk (qcow2, shared by both: the source flushes it,
   the destination opens it again) reads the same in the guest and on the
   host, and checks clean; query-migrate shows completed, downtime and more
   than one dirty-sync round; the source is stopped in postmigrate.
2. With COUNT-ELF: truncated, garbage and out-of-RAM streams, one for
   another RAM size and one of another format version are refused on
   -incoming with a message and exit status 1; exec: and -incoming defer with
   migrate-incoming on a Unix socket work; migrate_cancel and a destination
   that disappears leave the source running.
Skipped (77) without the guest images.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from qmpclient import QMP, TIMEOUT, Console, die_with_parent, fail, free_port


def linux(emu, guest, disk, sock, extra=()):
    cmd = [emu, "-M", "virt", "-m", "256M", "-nographic", "-kernel",
           os.path.join(guest, "Image"), "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
           "-append", "console=ttyS0 quiet",
           "-drive", "file=%s,format=qcow2,if=none,id=d0" % disk,
           "-device", "virtio-blk-device,drive=d0",
           "-qmp", "unix:%s,server=on,wait=off" % sock] + list(extra)
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            preexec_fn=die_with_parent)


def md5(path):
    return subprocess.run(["md5sum", path], capture_output=True, text=True).stdout.split()[0]


def live(emu, img, guest, tmp):
    disk = os.path.join(tmp, "disk.qcow2")
    subprocess.run([img, "create", "-f", "qcow2", disk, "4M"], check=True,
                   stdout=subprocess.DEVNULL)
    ssock, dsock = os.path.join(tmp, "src.sock"), os.path.join(tmp, "dst.sock")
    port = free_port()
    src = linux(emu, guest, disk, ssock)
    dst = linux(emu, guest, disk, dsock, ["-incoming", "tcp:127.0.0.1:%d" % port])
    try:
        con = Console(src)
        con.wait_for("starting a shell", 120)
        time.sleep(0.5)
        ram_sum = con.run("dd if=/dev/urandom of=/tmp/r bs=1M count=8 2>/dev/null; "
                          "md5sum /tmp/r").split()[0]
        # the counter is renamed into place: `echo > file` leaves it empty for a moment
        con.send("i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo $i > /tmp/count.new; "
                 "mv /tmp/count.new /tmp/count; "
                 "dd if=/dev/urandom of=/dev/vda bs=4k count=4 seek=$((i % 200)) "
                 "conv=notrunc 2>/dev/null; done &\n")
        time.sleep(2)
        qs, qd = QMP(ssock), QMP(dsock)
        if qd.cmd("query-status")["return"]["status"] != "inmigrate":
            fail("the destination is not in inmigrate")
        t0 = time.time()
        # no downtime allowed: rounds go on while the guest dirties pages
        # (until none is left or the round limit), exercising the dirty log
        r = qs.cmd("migrate-set-parameters", **{"downtime-limit": 0})
        if "error" in r:
            fail("migrate-set-parameters: %s" % r)
        r = qs.cmd("migrate", uri="tcp:127.0.0.1:%d" % port)
        if "error" in r:
            fail("migrate: %s" % r)
        info = qs.wait_migration()
        took = time.time() - t0
        if info["status"] != "completed":
            fail("migration: %s" % info)
        if info["ram"]["dirty-sync-count"] < 2 or "downtime" not in info:
            fail("query-migrate: %s" % info)
        if qs.cmd("query-status")["return"]["status"] != "postmigrate":
            fail("the source is not in postmigrate")
        if not any(e["event"] == "MIGRATION" and e["data"]["status"] == "completed"
                   for e in qs.events):
            fail("no MIGRATION completed event on the source: %s" % qs.events)
        dcon = Console(dst)
        if qd.wait_migration()["status"] != "completed":
            fail("the destination's migration did not complete")
        if qd.cmd("query-status")["return"]["status"] != "running":
            fail("the destination does not run")
        # the destination's shell answers; the loop goes on there
        if "alive-42" not in dcon.run("echo alive-$((6*7))", 30):
            fail("the destination's shell does not answer")
        c1 = int(dcon.run("cat /tmp/count"))
        time.sleep(1)
        c2 = int(dcon.run("cat /tmp/count"))
        if c2 <= c1:
            fail("the guest's loop does not go on after migration (%d, %d)" % (c1, c2))
        got = dcon.run("md5sum /tmp/r").split()[0]
        if got != ram_sum:
            fail("the RAM file's checksum changed: %s, was %s" % (got, ram_sum))
        # the loop ends after its current dd (kill would leave that dd running)
        dcon.run("touch /tmp/stop; wait; sync; echo 3 > /proc/sys/vm/drop_caches")
        gsum = dcon.run("dd if=/dev/vda bs=4k count=1024 2>/dev/null | md5sum").split()[0]
        raw = disk + ".raw"
        subprocess.run([img, "convert", "-O", "raw", disk, raw], check=True)
        if gsum != md5(raw):
            fail("the disk reads differently in the guest and on the host")
        r = subprocess.run([img, "check", disk], capture_output=True, text=True)
        if r.returncode != 0:
            fail("mimic-img check after migration: %s" % r.stdout)
        print("live migration: %.1fs, downtime %d ms, %d rounds, %d KiB sent; count %d -> %d"
              % (took, info["downtime"], info["ram"]["dirty-sync-count"],
                 info["ram"]["transferred"] >> 10, c1, c2))
        qd.cmd("quit")
        qs.cmd("quit")
        for name, p in (("source", src), ("destination", dst)):
            if p.wait(timeout=TIMEOUT) != 0:
                fail("%s: exit status %d: %s" % (name, p.returncode,
                                                 p.stdout.read()[-2000:].decode(errors="replace")))
    finally:
        for p in (src, dst):
            if p.poll() is None:
                p.kill()
            p.wait()


def baremetal(emu, elf, sock, serial, extra=()):
    return subprocess.Popen([emu, "-M", "virt", "-m", "64M", "-display", "none",
                             "-monitor", "none", "-serial", "file:" + serial, "-bios", "none",
                             "-kernel", elf, "-qmp", "unix:%s,server=on,wait=off" % sock]
                            + list(extra), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            preexec_fn=die_with_parent)


def negative(emu, elf, tmp):
    # a good stream in a file, then broken copies of it
    good = os.path.join(tmp, "good.mig")
    p = baremetal(emu, elf, os.path.join(tmp, "n1.sock"), os.path.join(tmp, "n1.txt"))
    q = QMP(os.path.join(tmp, "n1.sock"))
    time.sleep(0.3)
    q.cmd("migrate", uri="file:" + good)
    if q.wait_migration()["status"] != "completed":
        fail("migrate to file:")
    q.cmd("quit")
    if p.wait(timeout=TIMEOUT) != 0:
        fail("source to file: exit status %d: %s" % (p.returncode, p.stdout.read()[-2000:]))
    data = open(good, "rb").read()
    cases = {
        "truncated": data[:len(data) // 2],
        "garbage": bytes((i * 131 + 7) & 255 for i in range(100000)),
        # the first record (after the 37-byte header) made a page far outside RAM
        "bad-page": data[:37] + b"\x02" + (0xffff000000001).to_bytes(8, "little") + data[46:],
    }
    for name, blob in cases.items():
        path = os.path.join(tmp, name + ".mig")
        open(path, "wb").write(blob)
        p = baremetal(emu, elf, os.path.join(tmp, name + ".sock"), os.path.join(tmp, "x.txt"),
                      ["-incoming", "file:" + path])
        out, _ = p.communicate(timeout=TIMEOUT)
        if p.returncode != 1 or "load of migration failed" not in out:
            fail("%s stream: status %s, %r" % (name, p.returncode, out))
        print("%s stream refused: %s" % (name, out.strip().splitlines()[-1]))
    # a machine of another size, and another format version: refused with a reason
    for name, path, extra, want in (
            ("other -m", good, ["-m", "128M"], "64 MiB of RAM"),
            ("version 2", os.path.join(tmp, "v2.mig"), [], "format version 2")):
        if name == "version 2":
            open(path, "wb").write(data[:8] + (2).to_bytes(4, "little") + data[12:])
        p = baremetal(emu, elf, os.path.join(tmp, "o.sock"), os.path.join(tmp, "x.txt"),
                      ["-incoming", "file:" + path] + extra)
        out, _ = p.communicate(timeout=TIMEOUT)
        if p.returncode != 1 or want not in out:
            fail("%s: status %s, %r" % (name, p.returncode, out))
        print("%s refused: %s" % (name, out.strip().splitlines()[-1]))
    # the good one loads, via exec:
    p = baremetal(emu, elf, os.path.join(tmp, "ok.sock"), os.path.join(tmp, "ok.txt"),
                  ["-incoming", "exec:cat " + good])
    q = QMP(os.path.join(tmp, "ok.sock"))
    if q.wait_migration()["status"] != "completed":
        fail("exec: incoming")
    q.cmd("quit")
    if p.wait(timeout=TIMEOUT) != 0:
        fail("exec: incoming: exit status %d: %s" % (p.returncode, p.stdout.read()[-2000:]))
    # -incoming defer, then migrate-incoming on a Unix socket; the count goes on
    dsock, ssock = os.path.join(tmp, "d.sock"), os.path.join(tmp, "s.sock")
    dserial, sserial = os.path.join(tmp, "d.txt"), os.path.join(tmp, "s.txt")
    mig_sock = os.path.join(tmp, "mig.sock")
    dst = baremetal(emu, elf, dsock, dserial, ["-incoming", "defer"])
    src = baremetal(emu, elf, ssock, sserial)
    qd, qs = QMP(dsock), QMP(ssock)
    if "error" not in qd.cmd("cont"):
        fail("cont while waiting for an incoming migration")
    r = qd.cmd("migrate-incoming", uri="unix:" + mig_sock)
    if "error" in r:
        fail("migrate-incoming: %s" % r)
    time.sleep(0.5)
    qs.cmd("migrate", uri="unix:" + mig_sock)
    if qs.wait_migration()["status"] != "completed" or \
            qd.wait_migration()["status"] != "completed":
        fail("migration over unix: after -incoming defer")
    last = int(re.findall(r"count (\d+)", open(sserial).read())[-1])
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        got = [int(n) for n in re.findall(r"count (\d+)", open(dserial).read())]
        if len(got) >= 3:
            break
        time.sleep(0.05)
    if not got or got[0] != last + 1:
        fail("the destination's count starts at %s, the source stopped at %d" % (got[:3], last))
    print("-incoming defer + migrate-incoming unix: the count goes on at %d" % got[0])
    for q, p in ((qd, dst), (qs, src)):
        q.cmd("quit")
        if p.wait(timeout=TIMEOUT) != 0:
            fail("defer: exit status %d: %s" % (p.returncode, p.stdout.read()[-2000:]))
    # migrate_cancel of a migration stuck on a command that does not read
    csock = os.path.join(tmp, "c.sock")
    p = baremetal(emu, elf, csock, os.path.join(tmp, "c.txt"))
    q = QMP(csock)
    q.cmd("migrate", uri="exec:sleep 30; cat > /dev/null")
    time.sleep(0.5)
    q.cmd("migrate_cancel")
    info = q.wait_migration()
    if info["status"] != "cancelled" or \
            q.cmd("query-status")["return"]["status"] != "running":
        fail("migrate_cancel: %s" % info)
    print("migrate_cancel: cancelled, the source runs")
    q.cmd("quit")
    if p.wait(timeout=TIMEOUT) != 0:
        fail("cancelled source: exit status %d: %s" % (p.returncode, p.stdout.read()[-2000:]))
    # a destination that disappears: the source keeps running
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    serial = os.path.join(tmp, "n2.txt")
    p = baremetal(emu, elf, os.path.join(tmp, "n2.sock"), serial)
    q = QMP(os.path.join(tmp, "n2.sock"))
    q.cmd("migrate", uri="tcp:127.0.0.1:%d" % port)
    conn, _ = listener.accept()
    conn.recv(1000)
    conn.close()
    listener.close()
    info = q.wait_migration()
    if info["status"] != "failed":
        fail("a vanished destination: %s" % info)
    if q.cmd("query-status")["return"]["status"] != "running":
        fail("the source does not run after a failed migration")
    n = len(open(serial).read())
    time.sleep(0.3)
    if len(open(serial).read()) <= n:
        fail("the source's guest does not run after a failed migration")
    print("vanished destination: source still running (%s)" % info.get("error-desc"))
    q.cmd("quit")
    if p.wait(timeout=TIMEOUT) != 0:
        fail("failed source: exit status %d: %s" % (p.returncode, p.stdout.read()[-2000:]))


def main():
    emu, img, guest = sys.argv[1:4]
    elf = sys.argv[4] if len(sys.argv) > 4 else None
    tmp = tempfile.mkdtemp(prefix="mimic-migrate-")
    try:
        if elf:
            negative(emu, elf, tmp)
        if not os.path.exists(os.path.join(guest, "Image")):
            print("SKIP: no guest images in %s (make guest)" % guest)
            sys.exit(77 if not elf else 0)
        live(emu, img, guest, tmp)
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
