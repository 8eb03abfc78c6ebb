#!/usr/bin/env python3
"""qmp.py — QMP and the serial multiplexer's monitor against a running Linux
guest (the images of scripts/build-guest.sh): start stopped (-S), cont, stop
(the console goes quiet, guest time does not jump), queries, the human
monitor through QMP and through Ctrl-a c, malformed input of every kind, a
second client, system_powerdown (only an event on virt), system_reset (the
guest boots again), the guest's own poweroff (SHUTDOWN guest-shutdown), and
quit on a TCP monitor spelled the old way (server,nowait).

Usage: qmp.py EMULATOR GUESTDIR   (exit 0: all passed, 77: guest images
missing). The same script runs against qemu-system-riscv64, the oracle.
"""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from qmpclient import OutputReader, die_with_parent

TIMEOUT = 120
failures = []


def check(ok, what):
    print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)
    return ok


class QMP:
    """A QMP client that keeps events apart from replies."""

    def __init__(self, addr, family=socket.AF_UNIX):
        deadline = time.time() + 20
        while True:
            try:
                self.sock = socket.socket(family, socket.SOCK_STREAM)
                self.sock.connect(addr)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(30)
        self.buf = b""
        self.events = []
        self.greeting = self.recv()

    def recv(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, data):
        self.sock.sendall(data)

    def reply(self):
        while True:
            msg = self.recv()
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def cmd(self, name, args=None, **extra):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        req.update(extra)
        self.send_raw(json.dumps(req).encode() + b"\n")
        return self.reply()

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            if time.time() > deadline:
                return None
            self.sock.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = self.recv()
            except (socket.timeout, EOFError):
                return None
            finally:
                self.sock.settimeout(30)
            if "event" in msg:
                self.events.append(msg)

    def hmp(self, line):
        return self.cmd("human-monitor-command", {"command-line": line}).get("return", "")

    def close(self):
        self.sock.close()


class Console(OutputReader):
    """The serial console on the emulator's stdin/stdout."""

    def wait_for(self, pattern, timeout=TIMEOUT, start=0):
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = rx.search(self.text(), start)
            if m:
                return m
            if self.p.poll() is not None:
                time.sleep(0.2)
                return rx.search(self.text(), start)
            time.sleep(0.05)
        return None


def error_class(r):
    return r.get("error", {}).get("class")


def check_malformed(q):
    """Every kind of bad input gets an error reply; the session survives."""
    cases = [
        (b"garbage\n", "GenericError", "garbage"),
        (b"{}\n", "GenericError", "{}"),
        (b"[1, 2]\n", "GenericError", "an array"),
        (b'"just a string"\n', "GenericError", "a string"),
        (b"}\n", "GenericError", "a lone }"),
        (b'{"execute": "no-such-command"}\n', "CommandNotFound", "unknown command"),
        (b'{"execute": 42}\n', "GenericError", "execute not a string"),
        (b'{"execute": "query-status", "arguments": [1]}\n', "GenericError",
         "arguments not an object"),
        (b'{"execute": "query-status", "bogus": 1}\n', "GenericError", "unexpected member"),
        (b'{"execute": "query-status", "arguments": {"x": 1}}\n', "GenericError",
         "unexpected argument"),
        (b'{"execute": "human-monitor-command"}\n', "GenericError", "missing argument"),
        (b'{"execute": "human-monitor-command", "arguments": {"command-line": 5}}\n',
         "GenericError", "wrong argument type"),
        (b'{"execute": "human-monitor-command", "arguments": {"command-line": "x", '
         b'"cpu-index": "zero"}}\n', "GenericError", "wrong optional argument type"),
        (b'{"execute": "qmp_capabilities"}\n', "CommandNotFound", "capabilities again"),
        (b'{"execute": "query-status", "id": 1, "arguments": {"a": \xff}}\n', "GenericError",
         "invalid UTF-8"),
        (b"[" * 5000 + b"]" * 5000 + b"\n", "GenericError", "nesting 5000 deep"),
    ]
    # QEMU's parser may answer one bad input with several errors (it
    # resynchronises token by token): read up to a marker command.
    for n, (data, cls, what) in enumerate(cases):
        q.send_raw(data + b'\n{"execute": "query-status", "id": "sync-%d"}\n' % n)
        replies = []
        while True:
            r = q.reply()
            if r.get("id") == "sync-%d" % n:
                break
            replies.append(r)
        first = replies[0] if replies else {}
        check(error_class(first) == cls and first["error"].get("desc") and "return" in r,
              "malformed input (%s) -> %s: %s (%d replies)" % (what, cls, json.dumps(first)[:120],
                                                              len(replies)))
    # a command split across writes, and two in one write
    q.send_raw(b'{"execute": "query-')
    time.sleep(0.2)
    q.send_raw(b'status", "id": "split"}')
    r = q.reply()
    check(r.get("id") == "split" and "return" in r, "a command split over two writes")
    q.send_raw(b'{"execute": "query-version", "id": 1}{"execute": "query-version", "id": 2}\n')
    ids = [q.reply().get("id"), q.reply().get("id")]
    check(ids == [1, 2], "two commands in one write, ids echoed: %s" % ids)
    # a huge line: 2 MiB inside a string
    q.send_raw(b'{"execute": "human-monitor-command", "arguments": {"command-line": "'
               + b"A" * (2 << 20) + b'"}}\n{"execute": "query-status", "id": "after-huge"}\n')
    replies = []
    while True:
        r = q.reply()
        if r.get("id") == "after-huge":
            break
        replies.append(r)
    check(len(replies) >= 1 and ("error" in replies[0] or "return" in replies[0]),
          "2 MiB message: answered (%s)" % json.dumps(replies[:1])[:120])
    r = q.cmd("query-status", id="alive")
    check(r.get("id") == "alive" and "return" in r, "the session survives malformed input")


def main():
    emu, guest = sys.argv[1], sys.argv[2]
    for f in ("Image", "initramfs.cpio.gz"):
        if not os.path.exists(os.path.join(guest, f)):
            print("SKIP: %s/%s missing (scripts/build-guest.sh builds it)" % (guest, f))
            return 77
    is_qemu = "qemu" in os.path.basename(emu)
    tmp = tempfile.mkdtemp(prefix="mimic-qmp-")
    sock = os.path.join(tmp, "qmp.sock")
    disk = os.path.join(tmp, "disk.img")
    with open(disk, "wb") as f:
        f.write(os.urandom(1 << 20))
    disk_digest = digest(disk)
    overlay = os.path.join(tmp, "overlay.qcow2")
    # no -no-reboot: with it system_reset is a shutdown (as in QEMU)
    cmd = [emu, "-M", "virt", "-m", "256M", "-smp", "2", "-nographic",
           "-kernel", os.path.join(guest, "Image"),
           "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
           "-append", "console=ttyS0 panic=-1",
           # explicit: QEMU drops the default mux monitor when -qmp is given
           "-serial", "mon:stdio",
           "-drive", "file=%s,format=raw,if=none,id=hd0" % disk,
           "-device", "virtio-blk-device,drive=hd0",
           "-qmp", "unix:%s,server=on,wait=off" % sock, "-S"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    con = Console(p)
    try:
        run_guest_checks(p, con, sock, is_qemu, overlay)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    check_overlay(disk, disk_digest, overlay)
    print("---- console tail ----\n" + con.text()[-1500:]) if failures else None
    run_tcp_quit(emu, is_qemu)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_snapshot_sync(q, con, overlay):
    """blockdev-snapshot-sync: hd0 moves onto a new qcow2 overlay over its
    image; what the guest writes next lands in the overlay."""
    r = q.cmd("blockdev-snapshot-sync", {"device": "hd0", "snapshot-file": overlay,
                                         "format": "qcow2"})
    check(r == {"return": {}}, "blockdev-snapshot-sync hd0: %s" % r)
    r = q.cmd("query-block")
    ins = [b["inserted"] for b in r.get("return", []) if b["device"] == "hd0"]
    check(len(ins) == 1 and ins[0]["file"] == overlay and ins[0]["drv"] == "qcow2" and
          ins[0]["backing_file_depth"] == 1 and
          ins[0]["image"].get("backing-filename", "").endswith("disk.img"),
          "query-block: hd0 on the overlay, backed by the image: %s" % json.dumps(ins)[:300])
    con.send("printf snap-%d 42 | dd of=/dev/vda bs=512 seek=8 conv=notrunc 2>/dev/null; "
             "sync; echo wrote-$((6*7))\n")
    check(bool(con.wait_for(r"wrote-42")), "the guest writes its disk after the snapshot")
    for args, what in (({"device": "nope", "snapshot-file": overlay + ".x"}, "an unknown device"),
                       ({"snapshot-file": overlay + ".x"}, "no device"),
                       ({"device": "hd0", "snapshot-file": overlay + ".x", "mode": "bogus"},
                        "a bad mode")):
        r = q.cmd("blockdev-snapshot-sync", args)
        check(error_class(r) == "GenericError", "blockdev-snapshot-sync with %s: %s" % (what, r))


def check_overlay(disk, disk_digest, overlay):
    """After the run: the image as it was, the write in the overlay."""
    check(digest(disk) == disk_digest, "the image under the overlay is unchanged")
    if not os.path.exists(overlay):
        check(False, "the overlay exists")
        return
    raw = overlay + ".raw"
    r = subprocess.run(["qemu-img", "convert", "-O", "raw", overlay, raw],
                       capture_output=True, text=True)
    if check(r.returncode == 0, "qemu-img convert reads the overlay: %s" % r.stderr.strip()):
        with open(raw, "rb") as f:
            data = f.read()
        with open(disk, "rb") as f:
            base = f.read()
        check(data[8 * 512:8 * 512 + 7] == b"snap-42" and data[:4096] == base[:4096] and
              data[4096 + 7:] == base[4096 + 7:],
              "the overlay holds the guest's write over the image's data")
    r = subprocess.run(["qemu-img", "check", overlay], capture_output=True, text=True)
    check(r.returncode == 0, "qemu-img check of the overlay (status %d)" % r.returncode)


def run_guest_checks(p, con, sock, is_qemu, overlay):
    q = QMP(sock)
    g = q.greeting.get("QMP", {})
    check("version" in g and "qemu" in g["version"] and g.get("capabilities") == ["oob"],
          "greeting: %s" % json.dumps(q.greeting))
    r = q.cmd("query-status")
    check(error_class(r) == "CommandNotFound", "a command before qmp_capabilities: %s" % r)
    r = q.cmd("qmp_capabilities", id="caps")
    check(r == {"return": {}, "id": "caps"}, "qmp_capabilities: %s" % r)
    r = q.cmd("query-status")
    check(r.get("return", {}).get("status") == "prelaunch" and not r["return"]["running"],
          "-S: query-status prelaunch: %s" % r)
    time.sleep(1)
    check("OpenSBI" not in con.text() and "Linux" not in con.text(),
          "-S: nothing runs before cont (console empty)")
    r = q.cmd("cont")
    check(r == {"return": {}} and q.wait_event("RESUME"), "cont -> RESUME")
    check(bool(con.wait_for(r"starting a shell")), "the guest boots to its shell")
    r = q.cmd("query-status")
    check(r.get("return", {}).get("status") == "running" and r["return"]["running"],
          "query-status running: %s" % r)
    time.sleep(0.5)
    con.send("echo hello-$((6*7))\n")
    check(bool(con.wait_for(r"hello-42")), "the shell answers")

    # the human monitor on the serial mux: Ctrl-a c
    before = len(con.text())
    con.send(b"\x01c")
    time.sleep(0.3)
    con.send("info status\r")
    check(bool(con.wait_for(r"VM status: running", start=before, timeout=10)),
          "Ctrl-a c: the monitor answers on the serial console")
    con.send(b"\x01c")
    time.sleep(0.3)
    con.send("echo back-$((40+2))\n")
    check(bool(con.wait_for(r"back-42", start=before)), "Ctrl-a c again: back to the shell")

    # stop: STOP event, paused, the console goes quiet, guest time stands still
    con.send("i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.1; done &\n")
    check(bool(con.wait_for(r"tick-5\b")), "a ticking loop runs in the guest")
    con.send("cat /proc/uptime\n")
    m0 = con.wait_for(r"\n(\d+\.\d+) \d+\.\d+")
    wall0 = time.time()
    r = q.cmd("stop")
    check(r == {"return": {}} and q.wait_event("STOP"), "stop -> STOP")
    r = q.cmd("query-status")
    check(r.get("return", {}).get("status") == "paused", "query-status paused: %s" % r)
    check("paused" in q.hmp("info status"), "HMP info status: paused")
    time.sleep(0.3)
    before = len(con.text())
    con.send("echo during-stop-$((2+3))\n")
    time.sleep(2)
    quiet = con.text()[before:]
    check("tick-" not in quiet and "during-stop-5" not in quiet,
          "the console is quiet while stopped (%d bytes: %r)" % (len(quiet), quiet[:60]))
    r = q.cmd("stop")
    check(r == {"return": {}}, "stop when stopped: no error")
    r = q.cmd("cont")
    check(r == {"return": {}} and q.wait_event("RESUME"), "cont -> RESUME")
    check(bool(con.wait_for(r"during-stop-5", start=before)),
          "input typed while stopped is served after cont")
    check(bool(con.wait_for(r"tick-\d+", start=before)), "the ticking loop goes on")
    con.send("kill %1; cat /proc/uptime\n")
    m1 = con.wait_for(r"\n(\d+\.\d+) \d+\.\d+", start=m0.end() if m0 else 0)
    wall1 = time.time()
    if m0 and m1:
        guest_dt = float(m1.group(1)) - float(m0.group(1))
        check(guest_dt < (wall1 - wall0) - 1.0,
              "guest time stood still while stopped (guest %.2f s, host %.2f s)"
              % (guest_dt, wall1 - wall0))
    else:
        check(False, "reading /proc/uptime")

    # queries
    r = q.cmd("query-version")
    v = r.get("return", {})
    check(isinstance(v.get("qemu", {}).get("major"), int) and "package" in v,
          "query-version: %s" % r)
    r = q.cmd("query-commands")
    names = {c["name"] for c in r.get("return", [])}
    check({"query-status", "stop", "cont", "quit", "human-monitor-command",
           "query-cpus-fast", "query-block", "system_powerdown"} <= names,
          "query-commands lists the commands (%d)" % len(names))
    r = q.cmd("query-cpus-fast")
    cpus = r.get("return", [])
    check(len(cpus) == 2 and [c["cpu-index"] for c in cpus] == [0, 1] and
          all(c["target"] == "riscv64" and c["thread-id"] > 0 and
              c["qom-path"].startswith("/machine/") and "props" in c for c in cpus) and
          cpus[0]["thread-id"] != cpus[1]["thread-id"],
          "query-cpus-fast with -smp 2: %s" % json.dumps(cpus))
    r = q.cmd("query-block")
    blk = [b for b in r.get("return", []) if b["device"] == "hd0"]
    check(len(blk) == 1 and blk[0]["inserted"]["file"].endswith("disk.img") and
          blk[0]["inserted"]["drv"] == "raw" and
          blk[0]["inserted"]["image"]["virtual-size"] == 1 << 20,
          "query-block: hd0 %s" % json.dumps(blk)[:200])
    con.send("dd if=/dev/vda of=/dev/null bs=4096 count=32 && echo dd-done\n")
    check(bool(con.wait_for(r"dd-done")), "the guest reads its disk")
    r = q.cmd("query-blockstats")
    st = [b for b in r.get("return", []) if b.get("device") == "hd0"]
    check(len(st) == 1 and st[0]["stats"]["rd_operations"] > 0 and
          st[0]["stats"]["rd_bytes"] >= 4096 and st[0]["stats"]["rd_bytes"] % 512 == 0,
          "query-blockstats counts the reads: %s" %
          (json.dumps({k: st[0]["stats"][k] for k in ("rd_operations", "rd_bytes")})
           if st else r))
    check_snapshot_sync(q, con, overlay)

    # the human monitor through QMP
    regs = q.hmp("info registers")
    check(re.search(r"\bpc\s+[0-9a-f]{16}", regs) and "x2/sp" in regs and "\r\n" in regs,
          "human-monitor-command info registers")
    def values(text):
        return [w for line in text.splitlines() for w in line.split(":", 1)[-1].split()]
    # x reads through the hart's current translation, which is physical while
    # it runs firmware (M mode, as in QEMU): stop again until it is not.
    for attempt in range(20):
        if attempt:
            q.cmd("cont")
            q.wait_event("RESUME")
            time.sleep(0.05)
        q.cmd("stop")
        q.wait_event("STOP")
        mem = q.hmp("info mem")
        m = re.search(r"^([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16}) r", mem, re.M)
        if not m:
            continue
        va, pa = int(m.group(1), 16), int(m.group(2), 16)
        xv = values(q.hmp("x/4xg 0x%x" % va))
        xp = values(q.hmp("xp/4xg 0x%x" % pa))
        if xv == xp:
            break
    if check(bool(m), "info mem: the kernel's mappings (%s)" % mem.splitlines()[:3]):
        check(xv == xp and len(xv) == 4 and xv[0].startswith("0x"),
              "x through satp equals xp of the translation: %s (stop %d)" % (xv, attempt + 1))
    bad = q.hmp("xp/4xw 0x4000000000")
    check("Cannot access memory" in bad, "xp of unmapped memory: %r" % bad)
    check("unknown command" in q.hmp("no-such-hmp-command"), "HMP: unknown command")
    q.cmd("cont")
    q.wait_event("RESUME")

    check_malformed(q)

    # a second client, after the first leaves
    q.close()
    q2 = QMP(sock)
    r = q2.cmd("qmp_capabilities")
    r2 = q2.cmd("query-status")
    check(r == {"return": {}} and r2.get("return", {}).get("running"),
          "a second client: greeting, negotiation, query-status")

    # system_powerdown: virt has no power button, only the event (as QEMU)
    r = q2.cmd("system_powerdown")
    check(r == {"return": {}} and q2.wait_event("POWERDOWN"), "system_powerdown -> POWERDOWN")
    time.sleep(1)
    r = q2.cmd("query-status")
    check(r.get("return", {}).get("running") and p.poll() is None,
          "after system_powerdown the guest runs on (no power button on virt)")

    # system_reset: RESET, the guest boots again
    before = len(con.text())
    r = q2.cmd("system_reset")
    ev = q2.wait_event("RESET")
    check(r == {"return": {}} and ev and ev.get("data") ==
          {"guest": False, "reason": "host-qmp-system-reset"}, "system_reset -> RESET %s" % ev)
    check(bool(con.wait_for(r"starting a shell", start=before)), "the guest boots again")
    time.sleep(0.5)

    # the guest powers off: SHUTDOWN guest-shutdown, and mimic exits
    con.send("exit\n")
    ev = q2.wait_event("SHUTDOWN", timeout=60)
    # QEMU may exit before its monitor thread writes the event
    check((ev and ev.get("data") == {"guest": True, "reason": "guest-shutdown"}) or is_qemu,
          "guest poweroff -> SHUTDOWN %s" % (ev and ev.get("data")))
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "the emulator exits after the guest's poweroff (status %s)" % rc)


def until_eof(q, data):
    """Sends data and reads every message until the emulator closes."""
    q.send_raw(data)
    msgs = []
    try:
        while True:
            msgs.append(q.recv())
    except (EOFError, OSError):
        pass
    return msgs


def run_tcp_quit(emu, is_qemu):
    """-qmp tcp:...,server,nowait (the old spelling) and quit; then
    system_reset with -no-reboot, which is a shutdown."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen([emu, "-M", "virt", "-display", "none", "-serial", "none",
                          "-monitor", "none", "-qmp", "tcp:127.0.0.1:%d,server,nowait" % port],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    try:
        q = QMP(("127.0.0.1", port), socket.AF_INET)
        q.cmd("qmp_capabilities")
        msgs = until_eof(q, b'{"execute": "quit"}\n')
        ev = [m for m in msgs if m.get("event") == "SHUTDOWN"]
        check((ev and ev[0]["data"] == {"guest": False, "reason": "host-qmp-quit"} and
               {"return": {}} in msgs) or (is_qemu and msgs),
              "tcp server,nowait: quit -> SHUTDOWN host-qmp-quit: %s" % msgs)
        check(p.wait(timeout=20) == 0, "the emulator exits after quit")
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    p = subprocess.Popen([emu, "-M", "virt", "-display", "none", "-serial", "none",
                          "-monitor", "none", "-qmp", "tcp:127.0.0.1:%d,server=on,wait=off"
                          % port, "-no-reboot"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    try:
        q = QMP(("127.0.0.1", port), socket.AF_INET)
        q.cmd("qmp_capabilities")
        msgs = until_eof(q, b'{"execute": "system_reset"}\n')
        ev = [m for m in msgs if m.get("event") == "SHUTDOWN"]
        # QEMU exits at once and may close the socket before the event and
        # the reply are written; mimic writes both.
        check((ev and ev[0]["data"] == {"guest": False, "reason": "host-qmp-system-reset"}
               and {"return": {}} in msgs) or is_qemu,
              "-no-reboot: system_reset -> SHUTDOWN host-qmp-system-reset: %s" % msgs)
        check(p.wait(timeout=20) == 0, "the emulator exits after system_reset with -no-reboot")
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


if __name__ == "__main__":
    sys.exit(main())
