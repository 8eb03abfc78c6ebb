#!/usr/bin/env python3
"""gdb-system.py — the system-mode gdb stub test on a bare-metal guest
(gdb-baremetal.c) started with -S -gdb tcp::PORT:

1. gdb-multiarch in batch mode: breakpoint, continue, registers (CSRs and
   priv included), memory, stepi, threads (one per hart), a hardware
   watchpoint, a variable written, and the guest's poweroff seen as the
   inferior's exit.
2. A raw protocol client: Ctrl-C while running (T02), breakpoints and
   vCont, write/read/access watchpoints, binary X writes, no-ack mode,
   and hostile packets (bad checksums,
   oversized packets, bad hex, bad registers, threads and addresses,
   unknown packets) that must get an answer and leave the guest running.

Usage: gdb-system.py MIMIC-SYSTEM ELF [--backend jit|interp]
Exits 77 (skipped) without gdb-multiarch."""
import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbclient  # noqa: E402


def start(a, port, extra=()):
    cmd = [a.mimic, "-M", "virt", "-m", "128M", "-smp", "2", "-nographic", "-bios", "none",
           "-kernel", a.elf, "-accel", "tcg,backend=" + a.backend, "-S",
           "-gdb", "tcp::%d" % port] + list(extra)
    emu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    gdbclient.wait_listening(port, emu)
    return emu


def symbol(elf, name):
    out = subprocess.run(["riscv64-linux-gnu-nm", elf], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise KeyError(name)


def with_gdb(a):
    port = gdbclient.free_port()
    emu = start(a, port)
    try:
        out = gdbclient.run_gdb(a.elf, port, [
            "info registers pc", "break tick", "continue", "p $a0", "continue", "p $a0",
            "p/x $mstatus", "p $priv", "p/x $mhartid", "x/2gx &ticks", "stepi",
            "info registers pc", "info threads", "thread 2", "p/x $mhartid", "thread 1",
            "delete", "watch ticks", "continue", "delete", "set var done = 1", "continue"])
        gdbclient.check_output(out, [
            "pc             0x1000", "Breakpoint 1 at",
            "Breakpoint 1, tick (n=", "$1 = 1", "Breakpoint 1, tick (n=", "$2 = 2",
            "$3 = 0x", "$4 = 3", "$5 = 0x0", "<ticks>:\t0x0000000000000003",
            "<tick+", "Thread 1 (hart 0)", "Thread 2 (hart 1)",
            "$6 = 0x1", "Hardware watchpoint 2: ticks", "Old value = 3", "New value = 6",
            "exited normally"])
        emu_out, _ = emu.communicate(timeout=30)
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
    if emu.returncode != 0 or b"gdb-baremetal done" not in emu_out:
        print(emu_out.decode(errors="replace"))
        raise AssertionError("the guest did not finish (status %d)" % emu.returncode)


def expect(got, want, what):
    if not (got.startswith(want) if want else got == ""):
        raise AssertionError("%s: expected %r, got %r" % (what, want, got[:200]))


def hostile(c):
    # a bad checksum is NAKed, then the retransmission works
    c.send_raw(b"$g#00")
    c.expect_ack(b"-")
    c.buf = b""
    # an oversized packet is dropped whole and NAKed
    c.send_raw(b"$" + b"m" * 40000 + b"#00")
    c.expect_ack(b"-")
    expect(c.ask("?"), "T05", "? after an oversized packet")
    # bad checksum digits
    c.send_raw(b"$?#zz")
    c.expect_ack(b"-")
    for pkt, want in [
            ("", ""),                          # empty packet: unknown
            ("jfoo", ""),                      # unknown command
            ("qNoSuchQuery", ""),
            ("vNoSuch", ""),
            ("m", "E01"), ("mzz,4", "E01"), ("m0,", "E01"),
            ("m80000000,ffffffff", "E01"),     # too long
            ("m11111111111111111,4", "E01"),   # more than 64 bits
            ("mdead00000000,4", "E14"),        # not mapped
            ("M80000000,4:zz", "E01"), ("M80000000,4:00", "E01"),
            ("Mdead00000000,1:00", "E14"),
            ("X80000000,2:a", "E01"),          # length mismatch
            ("p", "E01"), ("pzz", "E01"), ("p1000", "E01"), ("p10000000", "E01"),
            ("P1=", "E01"), ("P1=zz", "E01"), ("P1=00", "E01"), ("P9999=00", "E01"),
            ("G00", "E01"),
            ("Hg9", "E01"), ("Hx1", "E01"), ("Hg", "E01"), ("T3", "E01"), ("T0", "E01"),
            ("T1", "OK"), ("T2", "OK"), ("Hg2", "OK"), ("Hg1", "OK"),
            ("Z0,", "E01"), ("Z9,0,0", ""), ("Z2,80000000,0", "E01"),
            ("Z2,80000000,fffffffff", "E01"),
            ("vCont;x", "E01"), ("vCont;c:9", "E01"), ("vCont;t", "OK"),
            ("qXfer:features:read:target.xml", "E00"),
            ("qXfer:features:read:nope.xml:0,10", "E00"),
            ("qXfer:features:read:target.xml:ffffffff,10", "l"),
            ("qThreadExtraInfo,9", "E01"),
            ("c1zz", "E01"),
    ]:
        expect(c.ask(pkt), want, "packet %r" % pkt)
    # registers: 33 of 8 bytes, and a CSR and priv by number
    g = c.ask("g")
    if len(g) != 33 * 16:
        raise AssertionError("g reply of %d digits" % len(g))
    expect(c.ask("p%x" % (65 + 0xf14)), "0000000000000000", "mhartid")
    expect(c.ask("p%x" % 4161), "0300000000000000", "priv")
    # the target description, read in small pieces
    doc, off = "", 0
    while True:
        r = c.ask("qXfer:features:read:target.xml:%x,40" % off)
        doc += r[1:]
        off += len(r) - 1
        if r[0] == "l":
            break
    for feat in ("org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.fpu", "org.gnu.gdb.riscv.csr",
                 "org.gnu.gdb.riscv.virtual", 'name="satp"', 'name="fcsr"'):
        if feat not in doc:
            raise AssertionError("target.xml lacks %s" % feat)


def raw(a):
    tick = symbol(a.elf, "tick")
    ticks = symbol(a.elf, "ticks")
    done = symbol(a.elf, "done")
    port = gdbclient.free_port()
    emu = start(a, port)
    try:
        c = gdbclient.RawClient(port)
        expect(c.ask("qSupported:multiprocess+;swbreak+"), "PacketSize=", "qSupported")
        hostile(c)
        # a breakpoint, vCont continue, the stop
        expect(c.ask("Z0,%x,2" % tick), "OK", "Z0")
        c.send("vCont;c")
        expect(c.recv(), "T05thread:1;", "stop at the breakpoint")
        expect(c.ask("p20"), "%016x" % int.from_bytes(tick.to_bytes(8, "little"), "big"), "pc")
        expect(c.ask("z0,%x,2" % tick), "OK", "z0")
        # binary write with bytes that need escaping, read back
        data = bytes([0x23, 0x24, 0x7d, 0x2a, 0, 1, 2, 3])
        esc = b"".join(bytes([0x7d, b ^ 0x20]) if b in (0x23, 0x24, 0x7d, 0x2a) else bytes([b])
                       for b in data)
        c.send(b"X%x,8:" % ticks + esc)
        expect(c.recv(), "OK", "X")
        expect(c.ask("m%x,8" % ticks), data.hex(), "m after X")
        # watchpoints: the stop comes right after the access
        def pc():
            return int.from_bytes(bytes.fromhex(c.ask("p20")), "little")
        for z, reply, var in (("2", "watch", ticks), ("3", "rwatch", done), ("4", "awatch", ticks)):
            n = 8 if var == ticks else 4
            expect(c.ask("Z%s,%x,%x" % (z, var, n)), "OK", "Z" + z)
            c.send("c")
            expect(c.recv(), "T05thread:1;%s:%x;" % (reply, var), "watchpoint Z" + z)
            expect(c.ask("z%s,%x,%x" % (z, var, n)), "OK", "z" + z)
            if var == ticks and not tick < pc() < tick + 0x10:
                raise AssertionError("write watchpoint stop at 0x%x, not in tick()" % pc())
        # single step moves the pc
        c.send("vCont;s:1")
        expect(c.recv(), "T05thread:1;", "step")
        pc = int.from_bytes(bytes.fromhex(c.ask("p20")), "little")
        if pc == tick:
            raise AssertionError("step did not move the pc")
        # no-ack mode, then Ctrl-C while running
        expect(c.ask("QStartNoAckMode"), "OK", "QStartNoAckMode")
        c.ack = False
        c.send("c")
        time.sleep(0.5)
        c.send_raw(b"\x03")
        expect(c.recv(), "T02", "Ctrl-C")
        # the guest survived it all: it runs to its end
        expect(c.ask("M%x,4:01000000" % done), "OK", "M")
        c.send("c")
        expect(c.recv(), "W00", "exit")
        emu_out, _ = emu.communicate(timeout=30)
        c.close()
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
    if emu.returncode != 0 or b"gdb-baremetal done" not in emu_out:
        print(emu_out.decode(errors="replace"))
        raise AssertionError("the guest did not finish (status %d)" % emu.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mimic")
    ap.add_argument("elf")
    ap.add_argument("--backend", default="jit")
    a = ap.parse_args()
    if not shutil.which(gdbclient.GDB):
        print("SKIP: gdb-multiarch is not installed (scripts/setup.sh installs it)")
        return 77
    with_gdb(a)
    raw(a)
    print("gdb-system (%s): OK" % a.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
