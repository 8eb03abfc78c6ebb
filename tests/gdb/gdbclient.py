"""gdbclient.py — helpers of the gdb stub tests: free ports, waiting for a
stub to listen, running gdb-multiarch in batch mode, and a raw GDB remote
protocol client for the packets gdb itself never sends (malformed ones)."""
import socket
import subprocess
import time

GDB = "gdb-multiarch"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, deadline=20.0):
    """Waits until something accepts on port (without connecting: the stub
    takes one debugger) by watching /proc/net/tcp for a LISTEN socket."""
    end = time.time() + deadline
    want = ":%04X" % port
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("emulator exited early with %d" % proc.returncode)
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                for line in open(table).read().splitlines()[1:]:
                    f = line.split()
                    if f[1].endswith(want) and f[3] == "0A":
                        return
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def run_gdb(elf, port, commands, timeout=120):
    args = [GDB, "-nx", "-batch", "-ex", "set architecture riscv:rv64",
            "-ex", "set confirm off"]
    if elf:
        args += ["-ex", "file " + elf]
    args += ["-ex", "target remote 127.0.0.1:%d" % port]
    for c in commands:
        args += ["-ex", c]
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return p.stdout.decode(errors="replace")


def check_output(out, expectations):
    """expectations: substrings that must all appear, in order."""
    pos = 0
    for e in expectations:
        i = out.find(e, pos)
        if i < 0:
            print(out)
            raise AssertionError("gdb output lacks %r (after offset %d)" % (e, pos))
        pos = i + len(e)


def checksum(data):
    return "%02x" % (sum(data) & 0xff)


class RawClient:
    """A GDB remote protocol client on a TCP socket."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.ack = True

    def close(self):
        self.s.close()

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        self.send_raw(b"$" + payload + b"#" + checksum(payload).encode())

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def read_byte(self):
        while not self.buf:
            self._fill()
        c, self.buf = self.buf[:1], self.buf[1:]
        return c

    def recv(self):
        """The next packet's payload (acks before it are skipped); checks
        its checksum and acknowledges it."""
        while True:
            c = self.read_byte()
            if c == b"$":
                break
            if c not in b"+-":
                raise AssertionError("unexpected byte %r" % c)
        while b"#" not in self.buf or len(self.buf) < self.buf.index(b"#") + 3:
            self._fill()
        i = self.buf.index(b"#")
        payload, cs = self.buf[:i], self.buf[i + 1:i + 3]
        self.buf = self.buf[i + 3:]
        if checksum(payload).encode() != cs:
            raise AssertionError("bad checksum in reply %r" % payload)
        if self.ack:
            self.send_raw(b"+")
        return payload.decode("latin-1")

    def ask(self, payload):
        self.send(payload)
        return self.recv()

    def expect_ack(self, want):
        c = self.read_byte()
        if c != want:
            raise AssertionError("expected %r, got %r" % (want, c))
