#!/usr/bin/env python3
"""savevm.py — savevm / loadvm / -loadvm / delvm on a bare-metal guest that
counts on the serial console (tests/system/baremetal/count.c).

Usage: savevm.py MIMIC-SYSTEM MIMIC-IMG COUNT-ELF
       savevm.py MIMIC-SYSTEM MIMIC-IMG --linux GUEST-DIR

The guest is saved over QMP (human-monitor-command savevm), the process is
killed with SIGKILL, and a new one started with -loadvm must go on counting
from the saved value, not from 1; an HMP loadvm in a running machine goes
back to it too. The snapshot must be listed with a VM size by mimic-img (and
by qemu-img when installed), and the image must check clean.

With --linux: a Linux guest (-smp 2) with files in tmpfs and data on its
disk is saved, killed and restored with -loadvm; its shell answers and the
files and the disk read as they did (skipped, 77, without the images).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from qmpclient import QMP, Console, die_with_parent, fail

TIMEOUT = 30


def counts(path):
    try:
        text = open(path).read()
    except OSError:
        return []
    return [int(n) for n in re.findall(r"^count (\d+)$", text, re.M)]


def wait_count(path, n, start=0):
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        c = counts(path)[start:]
        if c and c[-1] >= n:
            return c
        time.sleep(0.02)
    fail("%s: the count did not reach %d (have %s)" % (path, n, counts(path)[-3:]))


def start(emu, elf, disk, serial, sock, extra=()):
    cmd = [emu, "-M", "virt", "-m", "64M", "-display", "none", "-monitor", "none",
           "-serial", "file:" + serial, "-bios", "none", "-kernel", elf,
           "-drive", "file=%s,if=none,id=d0,format=qcow2" % disk,
           "-device", "virtio-blk-device,drive=d0",
           "-qmp", "unix:%s,server=on,wait=off" % sock] + list(extra)
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            preexec_fn=die_with_parent)


def linux(emu, img, guest):
    if not os.path.exists(os.path.join(guest, "Image")):
        print("SKIP: no guest images in %s (make guest)" % guest)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="mimic-savevm-linux-")
    disk = os.path.join(tmp, "d.qcow2")
    subprocess.run([img, "create", "-f", "qcow2", disk, "8M"], check=True,
                   stdout=subprocess.DEVNULL)

    def run(extra=()):
        sock = os.path.join(tmp, "q%d.sock" % len(os.listdir(tmp)))
        p = subprocess.Popen([emu, "-M", "virt", "-m", "256M", "-smp", "2", "-nographic",
                              "-kernel", os.path.join(guest, "Image"),
                              "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
                              "-append", "console=ttyS0 quiet",
                              "-drive", "file=%s,if=none,id=d0" % disk,
                              "-device", "virtio-blk-device,drive=d0",
                              "-qmp", "unix:%s,server=on,wait=off" % sock] + list(extra),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             preexec_fn=die_with_parent)
        return p, Console(p), sock

    try:
        p, con, sock = run()
        con.wait_for("starting a shell", 120)
        time.sleep(0.5)
        before = con.run("echo kept > /tmp/x; dd if=/dev/urandom of=/tmp/r bs=1M count=4 "
                         "2>/dev/null; md5sum /tmp/r; echo on-disk | dd of=/dev/vda "
                         "2>/dev/null; sync")
        QMP(sock).hmp("savevm s1")
        p.kill()
        p.wait()
        p, con, sock = run(["-loadvm", "s1"])
        after = con.run("cat /tmp/x; md5sum /tmp/r; head -c 7 /dev/vda; echo")
        if after.split() != ["kept"] + before.split()[:2] + ["on-disk"]:
            fail("after -loadvm: %r, before %r" % (after, before))
        QMP(sock).cmd("quit")
        if p.wait(timeout=TIMEOUT) != 0:
            fail("quit: exit status %d" % p.returncode)
        print("Linux restored with -loadvm: files in RAM and on disk as saved")
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if sys.argv[3] == "--linux":
        linux(sys.argv[1], sys.argv[2], sys.argv[4])
        return
    emu, img, elf = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="mimic-savevm-")
    try:
        disk = os.path.join(tmp, "d.qcow2")
        subprocess.run([img, "create", "-f", "qcow2", disk, "16M"], check=True,
                       stdout=subprocess.DEVNULL)
        # 1. save a counting guest, then kill it
        s1, q1 = os.path.join(tmp, "s1.txt"), os.path.join(tmp, "q1.sock")
        p = start(emu, elf, disk, s1, q1)
        q = QMP(q1)
        wait_count(s1, 30)
        before = counts(s1)[-1]
        out = q.hmp("savevm snap1")
        after = counts(s1)[-1]
        if out.strip():
            fail("savevm said: %r" % out)
        if "snap1" not in q.hmp("info snapshots"):
            fail("info snapshots does not list snap1")
        # 2. loadvm in the running machine goes back to the saved count
        wait_count(s1, after + 20)
        mark = len(counts(s1))
        out = q.hmp("loadvm snap1")
        if out.strip():
            fail("loadvm said: %r" % out)
        deadline = time.time() + TIMEOUT
        back = []
        while not back and time.time() < deadline:
            # lines printed before the loadvm stopped the guest come first;
            # saved in the middle of printing after + 1, the guest ends that
            # line (its tail stands alone) and goes on with after + 2
            back = [v for v in counts(s1)[mark:] if v <= after + 2]
            time.sleep(0.02)
        first = back[0] if back else None
        if first is None or first < before + 1:
            fail("after loadvm the count went on at %s, saved between %d and %d" %
                 (counts(s1)[mark:mark + 3], before, after))
        err = q.hmp("loadvm nosuch")
        if "does not exist" not in err:
            fail("loadvm of a missing snapshot: %r" % err)
        p.kill()
        p.wait()
        print("saved at a count in [%d, %d]; loadvm continued at %d" % (before, after, first))
        # 3. a new process with -loadvm goes on from the saved count
        s2, q2 = os.path.join(tmp, "s2.txt"), os.path.join(tmp, "q2.sock")
        p = start(emu, elf, disk, s2, q2, ["-loadvm", "snap1"])
        c = wait_count(s2, first + 25)
        t0 = time.time()
        if c[0] != first:
            fail("-loadvm: the count went on at %d, expected %d" % (c[0], first))
        if c[:25] != list(range(first, first + 25)):
            fail("-loadvm: the count is not consecutive: %s" % c[:25])
        q = QMP(q2)
        q.hmp("delvm snap1")
        if "snap1" in q.hmp("info snapshots"):
            fail("delvm left snap1")
        q.hmp("savevm snap2")
        q.cmd("quit")
        if p.wait(timeout=TIMEOUT) != 0:
            fail("quit: exit status %d: %s" % (p.returncode, p.stdout.read()[-2000:]))
        print("-loadvm continued at %d (%.2fs)" % (c[0], time.time() - t0))
        # 4. the image: listed with a VM size, and clean
        lst = subprocess.run([img, "snapshot", "-l", disk], capture_output=True,
                             text=True).stdout
        m = re.search(r"snap2\s+(\S+ \S+)", lst)
        if not m or m.group(1).startswith("0 "):
            fail("mimic-img snapshot -l: %s" % lst)
        for tool in ("qemu-img",):
            if shutil.which(tool):
                r = subprocess.run([tool, "snapshot", "-l", disk], capture_output=True,
                                   text=True)
                if "snap2" not in r.stdout:
                    fail("qemu-img snapshot -l: %s" % r.stdout)
                r = subprocess.run([tool, "check", disk], capture_output=True, text=True)
                if r.returncode != 0:
                    fail("qemu-img check: %s" % r.stdout)
        r = subprocess.run([img, "check", disk], capture_output=True, text=True)
        if r.returncode != 0:
            fail("mimic-img check: %s" % r.stdout)
        # 5. no writable qcow2 drive: a clear refusal
        s3, q3 = os.path.join(tmp, "s3.txt"), os.path.join(tmp, "q3.sock")
        p = subprocess.Popen([emu, "-M", "virt", "-m", "64M", "-display", "none",
                              "-monitor", "none", "-serial", "file:" + s3, "-bios", "none",
                              "-kernel", elf, "-qmp", "unix:%s,server=on,wait=off" % q3],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             preexec_fn=die_with_parent)
        q = QMP(q3)
        err = q.hmp("savevm x")
        if "No block device can accept snapshots" not in err:
            fail("savevm without a disk: %r" % err)
        q.cmd("quit")
        if p.wait(timeout=TIMEOUT) != 0:
            fail("quit without a disk: exit status %d" % p.returncode)
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
