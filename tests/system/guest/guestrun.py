"""guestrun.py — one run of the make-guest Linux images on a system emulator
(mimic-system-riscv64 or qemu-system-riscv64, same options), its console read
by a thread; shared by tests/system/guest/check-net.py and bench/net.py.

The one thing to know: every console line is kept with the time it arrived
(`times`), so a caller can time what the guest reports without a clock in
the guest.
"""
import os
import re
import socket
import subprocess
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Guest:
    """One emulator run; its console lines are collected by a thread."""

    def __init__(self, emu, guest, append, extra, bios=None):
        cmd = [emu, "-M", "virt", "-m", "256M", "-nographic", "-no-reboot"]
        if bios:
            cmd += ["-bios", bios]
        cmd += ["-kernel", os.path.join(guest, "Image"),
                "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
                "-append", "console=ttyS0 panic=-1 " + append] + extra
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.lines = []
        self.times = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stdout:
            self.times.append(time.perf_counter())
            self.lines.append(raw.decode(errors="replace").rstrip("\r\n"))

    def wait_for_timed(self, pattern, deadline):
        """(arrival time, match) of the first line matching pattern, or None
        when the deadline (time.time()) passes or the emulator ends first."""
        rx = re.compile(pattern)
        while time.time() < deadline:
            for i, line in enumerate(list(self.lines)):
                m = rx.search(line)
                if m:
                    return self.times[i], m
            if self.p.poll() is not None and not self.t.is_alive():
                break
            time.sleep(0.01)
        return None

    def wait_for(self, pattern, deadline):
        found = self.wait_for_timed(pattern, deadline)
        return found[1] if found else None

    def finish(self, deadline):
        try:
            return self.p.wait(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None

    def tail(self, n=15):
        return "\n".join("    " + l for l in self.lines[-n:])
