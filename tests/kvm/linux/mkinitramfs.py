#!/usr/bin/env python3
"""mkinitramfs.py — writes the KVM test initramfs as a gzip'd cpio "newc"
archive: /bin/busybox, one symlink per applet, /init, /tests/*.sh and the
device nodes /dev/console and /dev/null, all owned by root.

The one thing to know: the archive is written here rather than by cpio(1)
so that device nodes and root ownership need no root privileges, and so
that it is byte-for-byte reproducible (mtime 0, sorted, gzip mtime 0).
Usage: mkinitramfs.py OUT.cpio.gz BUSYBOX APPLET_LIST INIT TESTS_DIR
"""
import gzip
import os
import stat
import sys


class Cpio:
    def __init__(self):
        self.data = bytearray()
        self.ino = 1

    def _pad(self):
        self.data += b"\0" * (-len(self.data) % 4)

    def entry(self, name, mode, body=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(body), 0, 0, rdev[0], rdev[1],
                  len(name_b), 0]
        self.ino += 1
        self.data += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.data += name_b
        self._pad()
        self.data += body
        self._pad()

    def trailer(self):
        self.entry("TRAILER!!!", 0)


def main():
    out, busybox, applets, init, tests = sys.argv[1:6]
    c = Cpio()
    dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp",
            "root", "etc", "tests"]
    for d in dirs:
        c.entry(d, stat.S_IFDIR | 0o755)
    c.entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    c.entry("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
    with open(busybox, "rb") as f:
        c.entry("bin/busybox", stat.S_IFREG | 0o755, f.read())
    seen = {"bin/busybox"}
    with open(applets) as f:
        for line in sorted(set(f.read().split())):
            path = line.lstrip("/")
            if path in seen or os.path.dirname(path) not in dirs:
                continue
            seen.add(path)
            c.entry(path, stat.S_IFLNK | 0o777, b"/bin/busybox")
    with open(init, "rb") as f:
        c.entry("init", stat.S_IFREG | 0o755, f.read())
    for name in sorted(os.listdir(tests)):
        if name.endswith(".sh"):
            with open(os.path.join(tests, name), "rb") as f:
                c.entry("tests/" + name, stat.S_IFREG | 0o644, f.read())
    c.trailer()
    with open(out, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as g:
            g.write(bytes(c.data))


if __name__ == "__main__":
    main()
