#!/usr/bin/env python3
"""cmdline.py — mimic-system-riscv64's command line: every bad option or
file is refused with exit status 1 and a message that names it, and the
informational options (-help, -version, -M help, -d help) succeed.

Usage: cmdline.py EMULATOR KERNEL   (KERNEL: any loadable program, for the cases that need one)
"""
import os
import shutil
import subprocess
import sys
import tempfile

BAD = [
    (["-M", "pc"], "-M pc"),
    (["-M", "virt,frob=1"], "frob=1"),
    (["-M", "virt,dumpdtb=/nonexistent-dir/x.dtb", "-bios", "none", "-kernel", "@PRIV@"],
     "dumpdtb=/nonexistent-dir/x.dtb"),
    (["-m", "12Q"], "-m"),
    (["-m", "1M"], "-m"),
    (["-smp", "0"], "-smp"),
    (["-smp", "99"], "-smp"),
    (["-cpu", "cortex-a53"], "-cpu"),
    (["-drive", "format=raw"], "file="),
    (["-drive", "file=/nonexistent.img,if=scsi"], "if=scsi"),
    (["-drive", "file=/nonexistent.img,bogus=1"], "bogus"),
    (["-drive", "file=/nonexistent.img"], "/nonexistent.img"),
    (["-drive", "file=/dev/null,id=a,if=none", "-drive", "file=/dev/null,id=a,if=none"],
     "duplicate id"),
    (["-device", "virtio-blk-device,drive=nope"], "nope"),
    (["-device", "e1000"], "e1000"),
    (["-bios", "/nonexistent/fw.bin"], "-bios '/nonexistent/fw.bin'"),
    (["-bios", "none"], "-bios none"),
    (["-kernel", "/nonexistent/Image"], "-kernel '/nonexistent/Image'"),
    (["-kernel", "@PRIV@", "-initrd", "/nonexistent/rd"], "-initrd '/nonexistent/rd'"),
    (["-dtb", "/nonexistent.dtb", "-bios", "none", "-kernel", "@PRIV@"], "-dtb"),
    (["-serial", "tcp:1234"], "-serial"),
    (["-accel", "tcg,backend=fast"], "-accel"),
    (["-d", "nonsense"], "-d"),
    (["-frobnicate"], "-frobnicate"),
    (["-kernel"], "-kernel"),
    (["-qmp", "unix:"], "-qmp unix:"),
    (["-qmp", "tcp:localhost"], "HOST:PORT"),
    (["-qmp", "tcp:127.0.0.1:99999,server=on,wait=off"], "invalid port"),
    (["-qmp", "unix:/tmp/mimic-q.sock,server=maybe"], "server=maybe"),
    (["-qmp", "tcp:127.0.0.1:4444,server=on,bogus=1"], "bogus"),
    (["-qmp", "unix:/tmp/mimic-q.sock"], "server=on"),
    (["-gdb", "tcp::99999", "-bios", "none", "-kernel", "@PRIV@"], "-gdb tcp::99999: gdb: bad port"),
    (["-gdb", "tcp:localhost", "-bios", "none", "-kernel", "@PRIV@"], "tcp:[HOST]:PORT"),
    (["-gdb", "unix:/tmp/mimic-g.sock,bogus=1", "-bios", "none", "-kernel", "@PRIV@"], "bogus=1"),
    (["-gdb"], "-gdb"),
    (["-qmp", "ftp:host"], "unknown character device"),
    (["-qmp", "unix:/nonexistent-dir/q.sock,server=on,wait=off"], "No such file"),
    (["-monitor", "frob"], "-monitor frob"),
    (["-monitor", "stdio"], "multiple character devices"),
    (["-monitor", "stdio", "-qmp", "stdio"], "multiple character devices"),
    (["-mon", "chardev=nope"], "nope"),
    (["-mon", "mode=control"], "chardev= is required"),
    (["-chardev", "null,id=c0", "-mon", "chardev=c0,mode=weird"], "mode=weird"),
]

GOOD = [
    (["-help"], "-bios"),
    (["-help"], "-qmp"),
    (["-help"], "-gdb SPEC"),
    (["-help"], "-incoming URI"),
    (["-help"], "-loadvm NAME"),
    (["-version"], "version"),
    (["-M", "help"], "virt"),
    (["-d", "help"], "int"),
    (["-M", "virt,dumpdtb=@TMP@/virt.dtb", "-bios", "none", "-kernel", "@PRIV@"], "dumped"),
]


def run(emu, args):
    p = subprocess.run([emu] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace")


def main():
    emu, kernel = sys.argv[1], sys.argv[2]
    failures = 0
    for args, want in BAD:
        args = [kernel if a == "@PRIV@" else a for a in args]
        rc, out = run(emu, ["-nographic"] + args)
        ok = rc == 1 and want in out and "mimic-system-riscv64:" in out
        print("%s %s -> %d: %s" % ("ok  " if ok else "FAIL", " ".join(args), rc, out.strip()))
        failures += not ok
    tmp = tempfile.mkdtemp()
    for args, want in GOOD:
        args = [kernel if a == "@PRIV@" else a.replace("@TMP@", tmp) for a in args]
        rc, out = run(emu, args)
        ok = rc == 0 and want in out
        print("%s %s -> %d" % ("ok  " if ok else "FAIL", " ".join(args), rc))
        failures += not ok
    dtb = os.path.join(tmp, "virt.dtb")
    magic = open(dtb, "rb").read(4) if os.path.exists(dtb) else b""
    if magic != b"\xd0\x0d\xfe\xed":
        print("FAIL -M virt,dumpdtb= wrote no device tree")
        failures += 1
    shutil.rmtree(tmp)
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
