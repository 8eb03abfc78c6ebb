#!/usr/bin/env python3
"""hmp.py — the human monitor on -monitor stdio, driven through a pipe, on
the virt machine running its firmware only: info status, stop/cont, memory
dumps of the firmware in RAM compared with the firmware file (x and xp),
an unmapped physical address (an error line, not a crash), a bad format,
an over-long line (1500 characters), info registers/mtree, help, quit (exit status 0);
then -monitor unix:PATH,server=on,wait=off with two clients one after the other, and
one mux=on chardev shared by -serial and -mon (Ctrl-a c).

Usage: hmp.py EMULATOR [FIRMWARE]   (exit 0: all passed; 77: no firmware).
Runs unchanged against qemu-system-riscv64.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

from qmpclient import OutputReader, die_with_parent

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
failures = []


def check(ok, what):
    print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)
    return ok


class Monitor(OutputReader):
    def __init__(self, cmd):
        super().__init__(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT,
                                          preexec_fn=die_with_parent))

    def text(self):
        # QEMU's line editor redraws with escape sequences: drop them
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", super().text())

    def wait_prompt(self, start, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            t = self.text()
            if t.rfind("(qemu) ") >= start:
                return True
            time.sleep(0.05)
        return False

    def run(self, line, timeout=20):
        """Sends a command; returns what came back before the next prompt."""
        start = len(self.text())
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        deadline = time.time() + timeout
        while time.time() < deadline:
            t = self.text()
            # the reply: after the echoed line, up to the next prompt
            end = t.find("(qemu) ", start)
            if end >= 0:
                return t[start:end]
            time.sleep(0.05)
        return None


def check_socket(emu, fw):
    """-monitor unix:PATH,server=on,wait=off: two clients one after the other."""
    tmp = tempfile.mkdtemp(prefix="mimic-hmp-")
    path = os.path.join(tmp, "hmp.sock")
    p = subprocess.Popen([emu, "-M", "virt", "-display", "none", "-serial", "none",
                          "-monitor", "unix:%s,server=on,wait=off" % path, "-bios", fw],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    try:
        for client in (1, 2):
            s = None
            for _ in range(100):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(path)
                    break
                except OSError:
                    s.close()
                    s = None
                    time.sleep(0.1)
            if not check(s is not None, "socket monitor: client %d connects" % client):
                return
            s.settimeout(10)

            def until_prompt():
                out = b""
                try:
                    while not out.endswith(b"(qemu) "):
                        data = s.recv(4096)
                        if not data:
                            break
                        out += data
                except OSError:
                    pass
                return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode(errors="replace"))

            banner = until_prompt()
            s.sendall(b"info status\r\n")
            reply = until_prompt()
            check("monitor" in banner and "VM status: running" in reply,
                  "socket monitor: client %d gets the banner and an answer" % client)
            if client == 1:
                s.close()
            else:
                s.sendall(b"quit\r\n")
                check(p.wait(timeout=20) == 0, "socket monitor: quit")
                s.close()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def check_mux_chardev(emu, fw):
    """QEMU's idiom: one mux=on chardev for the serial port and the monitor."""
    m = Monitor([emu, "-M", "virt", "-display", "none", "-bios", fw,
                 "-chardev", "stdio,id=s0,mux=on", "-serial", "chardev:s0",
                 "-mon", "chardev=s0,mode=readline"])
    time.sleep(1)
    start = len(m.text())
    m.p.stdin.write(b"\x01c")
    m.p.stdin.flush()
    ok = m.wait_prompt(start)
    r = m.run("info status") if ok else None
    check(ok and r is not None and "VM status: running" in r,
          "-chardev mux=on shared by -serial and -mon: Ctrl-a c, info status")
    m.p.stdin.write(b"quit\n")
    m.p.stdin.flush()
    try:
        rc = m.p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        m.p.kill()
        rc = None
    check(rc == 0, "-mon on the serial mux: quit (status %s)" % rc)


def main():
    emu = sys.argv[1]
    fw = sys.argv[2] if len(sys.argv) > 2 else FW
    if not os.path.exists(fw):
        print("SKIP: %s missing (Debian's opensbi package)" % fw)
        return 77
    with open(fw, "rb") as f:
        words = struct.unpack("<4I", f.read(16))
    want = " ".join("0x%08x" % w for w in words)
    m = Monitor([emu, "-M", "virt", "-display", "none", "-serial", "none",
                 "-monitor", "stdio", "-bios", fw])
    check(m.wait_prompt(0), "banner and (qemu) prompt")
    r = m.run("info status")
    check(r is not None and "VM status: running" in r, "info status: running")
    r = m.run("x/4xw 0x80000000")
    check(r is not None and "0000000080000000: " + want in r,
          "x/4xw 0x80000000 shows the firmware's first words (%s)" % want)
    r = m.run("xp/4xw 0x80000000")
    check(r is not None and "0000000080000000: " + want in r, "xp/4xw 0x80000000 the same")
    r = m.run("xp/2xg 0x4000000000")
    check(r is not None and "Cannot access memory" in r,
          "xp at an unmapped address: an error line (%r)" % (r or "")[-60:])
    r = m.run("xp/3z 0x80000000")
    check(r is not None and "invalid char in format" in r, "a bad format: an error")
    r = m.run("x/2xw")
    check(r is not None and "end of expression" in r, "a missing address: an error")
    r = m.run("stop")
    r = m.run("info status")
    check(r is not None and "VM status: paused" in r, "stop: paused")
    r = m.run("c")
    r = m.run("info status")
    check(r is not None and "VM status: running" in r, "c: running again")
    r = m.run("info registers")
    check(r is not None and re.search(r"\bpc\s+[0-9a-f]{16}", r) and "x10/a0" in r,
          "info registers")
    r = m.run("info mtree")
    check(r is not None and re.search(r"0000000080000000-0000000087ffffff \(prio 0, ram\)", r),
          "info mtree shows the RAM")
    r = m.run("help")
    check(r is not None and "info" in r and "quit" in r and "xp" in r, "help")
    r = m.run("A" * 1500, timeout=60)
    r2 = m.run("info status")
    check(r is not None and r2 is not None and "VM status" in r2,
          "a 1500-character line, then the monitor still answers")
    m.p.stdin.write(b"quit\n")
    m.p.stdin.flush()
    try:
        rc = m.p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        m.p.kill()
        rc = None
    check(rc == 0, "quit: exit status %s" % rc)
    check_socket(emu, fw)
    check_mux_chardev(emu, fw)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
