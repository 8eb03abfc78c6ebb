"""qmpclient.py — what the system tests that drive mimic-system-riscv64 share
(savevm.py, migrate.py; qmp.py and hmp.py use the output reader and
die_with_parent): a QMP client that keeps the events it reads, a reader of an
emulator's stdout on a thread, and a console for a guest on -nographic's stdio.

The one thing to know: every failure ends the test at once through fail()
(status 1 with a FAIL line), so callers never check for errors themselves.
"""
import ctypes
import json
import os
import re
import socket
import sys
import threading
import time

TIMEOUT = 60
PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn for the emulators a test starts: SIGKILL when the test
    process goes, even when the test runner kills it on a timeout."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 9)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class QMP:
    def __init__(self, path):
        deadline = time.time() + TIMEOUT
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    fail("no QMP socket " + path)
                time.sleep(0.05)
        # binary: a text-mode file resets its newline decoder on each write
        self.f = self.s.makefile("rwb")
        self.events = []
        json.loads(self.readline())
        self.cmd("qmp_capabilities")

    def readline(self):
        line = self.f.readline()
        if not line:
            fail("the QMP connection closed (the emulator died?)")
        return line.decode()

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write((json.dumps(msg) + "\n").encode())
        self.f.flush()
        while True:
            r = json.loads(self.readline())
            if "event" in r:
                self.events.append(r)
            else:
                return r

    def hmp(self, line):
        r = self.cmd("human-monitor-command", **{"command-line": line})
        if "return" not in r:
            fail("%s: %s" % (line, r))
        return r["return"]

    def wait_migration(self, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.cmd("query-migrate")["return"]
            if r.get("status") in ("completed", "failed", "cancelled"):
                return r
            time.sleep(0.1)
        fail("migration did not end: %s" % r)


class OutputReader:
    """Collects everything proc writes to its stdout pipe, on a thread, so
    the emulator never blocks on a full pipe; text() is all of it so far."""

    def __init__(self, proc):
        self.p = proc
        self.out = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            data = os.read(self.p.stdout.fileno(), 4096)
            if not data:
                break
            with self.lock:
                self.out += data

    def text(self):
        with self.lock:
            return self.out.decode(errors="replace")

    def send(self, s):
        self.p.stdin.write(s.encode() if isinstance(s, str) else s)
        self.p.stdin.flush()


class Console(OutputReader):

    def wait_for(self, pattern, timeout=TIMEOUT, start=0):
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = rx.search(self.text(), start)
            if m:
                return m
            time.sleep(0.05)
        fail("console: no %r in %r" % (pattern, self.text()[-600:]))

    def run(self, cmd, timeout=TIMEOUT):
        """Runs cmd in the shell; its output between two markers."""
        start = len(self.text())
        tag = "M%d" % int(time.time() * 1000 % 1000000)
        self.send("echo %s-B; %s; echo %s-E\n" % (tag, cmd, tag))
        m = self.wait_for(r"(?s)\n%s-B\r?\n(.*?)%s-E" % (tag, tag), timeout, start)
        return m.group(1).replace("\r", "")
