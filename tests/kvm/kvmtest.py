"""kvmtest.py — shared by the KVM test runners (run-guest.py, run-linux.py):
is /dev/kvm usable, which emulator command to run (mimic's
mimic-system-x86_64 or the oracle, Debian's qemu-system-x86_64, both as
`-M microvm -accel kvm`), and a console session with deadlines.

The one thing to know: a reason to skip (no usable /dev/kvm, no emulator
binary) ends the process with exit code 77, which meson reports as SKIP;
everything else that goes wrong is a failure (exit 1).
"""
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

SKIP = 77
KVM_GET_API_VERSION = 0xAE00
KVM_API_VERSION = 12
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Where each emulator puts the first virtio-mmio transport that a -device
# lands on (512 bytes, its IRQ). mimic: transport 0 of 8 (docs/kvm-guests.md).
# QEMU 7.2's microvm fills its 24 transports from the last one down.
FIRST_VIRTIO = {"mimic": (0xFEB00000, 5), "qemu": (0xFEB02E00, 28)}

# What an emulator prints when the host KVM gives up on the guest (QEMU's
# words; mimic's message should contain one of these too). QEMU then stops
# the guest without exiting, so the runners look for it to stop early.
KVM_FATAL = r"(?i)KVM internal error|emulation failure|KVM_EXIT_INTERNAL_ERROR"


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)


def kvm_usable():
    """None if /dev/kvm answers KVM_GET_API_VERSION with 12, else why not."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "/dev/kvm: " + e.strerror
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as e:
        return "/dev/kvm: KVM_GET_API_VERSION: " + e.strerror
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return "/dev/kvm: API version %d, not %d" % (version, KVM_API_VERSION)
    return None


def emulator_binary(emu, path):
    """The emulator to run: PATH if given, else mimic's build output or the
    qemu-system-x86_64 on PATH. Skips if it does not exist."""
    if path is None:
        if emu == "qemu":
            path = shutil.which("qemu-system-x86_64")
            if path is None:
                skip("qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
        else:
            path = os.path.join(REPO, "build", "mimic-system-x86_64")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        skip("emulator %s does not exist (not built yet?)" % path)
    return path


def base_command(emu, binary, memory_mib):
    """The machine both emulators are asked for; QEMU also gets modern
    (virtio 1.x) virtio-mmio transports, which mimic always has."""
    cmd = [binary, "-M", "microvm", "-accel", "kvm", "-m", str(memory_mib),
           "-nographic", "-no-reboot"]
    if emu == "qemu":
        cmd += ["-global", "virtio-mmio.force-legacy=false"]
    return cmd


def preflight(emu, path):
    reason = kvm_usable()
    if reason:
        skip("KVM not usable: " + reason)
    return emulator_binary(emu, path)


class Console:
    """A running emulator whose merged stdout/stderr is collected by a thread;
    expect() waits for a regex with a deadline, send() types on its stdin."""

    def __init__(self, cmd, log_path=None, echo=False):
        self.cmd = cmd
        self.t0 = time.monotonic()
        self.buf = ""
        self.pos = 0
        self.cond = threading.Condition()
        self.eof = False
        self.fatal = None
        self.echo = echo
        self.log = open(log_path, "w") if log_path else None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def elapsed(self):
        return time.monotonic() - self.t0

    def _read(self):
        while True:
            data = self.proc.stdout.read1(4096)
            if not data:
                break
            text = data.decode("utf-8", "replace").replace("\r", "")
            if self.echo:
                sys.stdout.write(text)
                sys.stdout.flush()
            if self.log:
                self.log.write(text)
                self.log.flush()
            with self.cond:
                self.buf += text
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def expect(self, pattern, timeout, fatal=None):
        """The match of PATTERN in output not yet consumed, or None at the
        deadline, when the emulator has exited without printing it, or when
        the FATAL pattern appears first (then self.fatal holds its match)."""
        rx = re.compile(pattern, re.M)
        frx = re.compile(fatal, re.M) if fatal else None
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                f = frx.search(self.buf, self.pos) if frx else None
                if f:
                    self.fatal = f
                    return None
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(min(left, 1.0))

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except OSError:
            pass

    def wait(self, timeout):
        """Exit status, or None if still running at the deadline (then it
        is killed)."""
        try:
            rc = self.proc.wait(timeout=max(timeout, 0))
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        self.reader.join(5)
        if self.log:
            self.log.close()
            self.log = None
        return rc

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def output(self):
        with self.cond:
            return self.buf
