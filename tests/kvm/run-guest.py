#!/usr/bin/env python3
"""run-guest.py — boots the PVH test guest (tests/kvm/guest/) on a KVM
microvm and checks it: the serial transcript (every expected PASS line, no
FAIL line, the command line echoed, the RAM size, the sector-0 checksum) and,
for --test blk, the disk image on the host afterwards (sector 1 holds the
guest's pattern, nothing else changed). The emulator must exit 0 by itself
(the guest resets the machine; -no-reboot turns that into an exit).

The one thing to know: --emu mimic (default) runs build/mimic-system-x86_64,
--emu qemu the oracle qemu-system-x86_64, with the same options; only the
virtio-mmio address in -append differs (kvmtest.FIRST_VIRTIO). Exit 77
(skip) when /dev/kvm is not usable or the emulator does not exist.
--test smp runs -smp 2 and expects the second CPU to start (smp.c); --test
int3 expects an int3 to reach its handler (on this nested host QEMU cannot:
its KVM fails to emulate INT3, see docs/kvm-guests.md).
Usage: run-guest.py [--emu mimic|qemu] [--binary PATH] --test serial|blk|smp GUEST.elf
"""
import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmtest  # noqa: E402

MEMORY_MIB = 128
DISK_SECTORS = 2048
SECTOR = 512

COMMON_PASSES = [
    "long mode active",
    "start_info magic",
    "command line present",
    "memory map in start_info",
    "memory map has RAM under the image",
    "ram write/read above 2 MiB",
]
BLK_PASSES = [
    "virtio_mmio.device= parses",
    "virtio-mmio magic",
    "virtio-mmio version 2 (modern)",
    "virtio-blk reset",
    "virtio-blk offers VIRTIO_F_VERSION_1",
    "virtio-blk is writable",
    "virtio-blk accepts the features",
    "virtio-blk queue 0 available",
    "virtio-blk queue 0 ready",
    "virtio-blk driver ok",
    "virtio-blk capacity",
    "virtio-blk interrupt status has the used-buffer bit",
    "virtio-blk read sector 0",
    "virtio-blk write sector 1",
    "virtio-blk read back sector 1",
    "virtio-blk read 8 sectors in one request",
    "virtio-blk read past the end fails",
    "virtio-blk reset at the end",
    "virtio-blk device found",
]
SMP_CPUS = 2
SMP_PASSES = [
    "mimic.cpus= between 2 and 16",
    "RAM at the AP trampoline (0x8000)",
    "every CPU started",
    "every CPU has its own APIC ID",
]


def fnv1a32(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def sector1_pattern():
    """What the guest writes to sector 1 (virtio-blk.c sector1_pattern)."""
    p = bytearray((i * 13 + 7) & 0xFF for i in range(SECTOR))
    head = b"MIMIC-KVM-BLK-SECTOR1\n"
    p[:len(head)] = head
    return bytes(p)


class Checker:
    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        print("%s: %s" % ("ok" if ok else "FAILED", what), flush=True)
        if not ok:
            self.failures.append(what)
        return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--emu", choices=["mimic", "qemu"], default="mimic")
    ap.add_argument("--binary", help="emulator binary (default: build/mimic-system-x86_64 "
                    "or qemu-system-x86_64 from PATH)")
    ap.add_argument("--test", choices=["serial", "blk", "smp", "int3"], required=True)
    ap.add_argument("--timeout", type=float, default=120, help="seconds (default 120)")
    ap.add_argument("--keep", help="keep the disk image and serial log in this directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the serial output")
    ap.add_argument("guest", help="the PVH guest ELF (build/tests/kvm/pvh-guest.elf)")
    args = ap.parse_args()

    if not os.path.isfile(args.guest):
        print("error: guest %s does not exist" % args.guest)
        return 1
    binary = kvmtest.preflight(args.emu, args.binary)

    work = args.keep or tempfile.mkdtemp(prefix="mimic-kvm-")
    os.makedirs(work, exist_ok=True)
    token = secrets.token_hex(6)
    append = "mimic.test=%s mimic.token=%s" % (args.test, token)
    cmd = kvmtest.base_command(args.emu, binary, MEMORY_MIB) + ["-kernel", args.guest]
    disk = original = None
    if args.test == "smp":
        append += " mimic.cpus=%d" % SMP_CPUS
        cmd += ["-smp", str(SMP_CPUS)]
    if args.test == "blk":
        disk = os.path.join(work, "disk.img")
        original = bytearray(os.urandom(DISK_SECTORS * SECTOR))
        head = ("MIMIC-KVM-DISK %s\n" % token).encode()
        original[:len(head)] = head
        with open(disk, "wb") as f:
            f.write(original)
        base, irq = kvmtest.FIRST_VIRTIO[args.emu]
        append += " virtio_mmio.device=512@0x%x:%d" % (base, irq)
        cmd += ["-drive", "file=%s,format=raw,if=none,id=d0" % disk,
                "-device", "virtio-blk-device,drive=d0"]
    cmd += ["-append", append]
    print("run: " + " ".join(cmd), flush=True)

    con = kvmtest.Console(cmd, os.path.join(work, "serial.log"), echo=args.verbose)
    con.expect(r"^MIMIC-KVM-GUEST: reset via i8042", args.timeout, fatal=kvmtest.KVM_FATAL)
    rc = con.wait(5 if con.fatal else max(args.timeout - con.elapsed(), 0))
    elapsed = con.elapsed()
    out = con.output()
    if not args.verbose:
        print("---- serial output ----\n" + out.rstrip() + "\n-----------------------")
    c = Checker()
    if con.fatal:
        c.check(False, "the host KVM stopped the guest: " + con.fatal.group(0))
    c.check(rc is not None, "emulator exited within %g s (%.2f s)" % (args.timeout, elapsed))
    c.check(rc == 0, "emulator exit status 0 (got %s)" % rc)
    c.check("MIMIC-KVM-GUEST: start" in out, "guest started (MIMIC-KVM-GUEST: start)")
    m = re.search(r"^cmdline: (.*)$", out, re.M)
    c.check(m is not None and append in m.group(1), "guest printed the command line we passed")
    fails = re.findall(r"^FAIL: .*$", out, re.M)
    c.check(not fails, "no FAIL line from the guest" + ("" if not fails else ": " + "; ".join(fails)))
    passes = set(re.findall(r"^PASS: (.*)$", out, re.M))
    wanted = COMMON_PASSES + {"blk": BLK_PASSES, "serial": ["no virtio-blk device"],
                              "smp": SMP_PASSES,
                              "int3": ["int3 delivered to the IDT and returned"]}[args.test]
    missing = [p for p in wanted if p not in passes]
    c.check(not missing, "every expected PASS line (%d)" % len(wanted)
            + ("" if not missing else "; missing: " + ", ".join(missing)))
    c.check(re.search(r"^RESULT: PASS$", out, re.M) is not None, "RESULT: PASS")
    c.check("MIMIC-KVM-GUEST: reset via i8042" in out, "guest ended by resetting the machine")
    m = re.search(r"^memmap: ram total (\d+) KiB$", out, re.M)
    c.check(m is not None and MEMORY_MIB * 1024 - 1024 <= int(m.group(1)) <= MEMORY_MIB * 1024,
            "memory map RAM within 1 MiB below -m %d (%s KiB)"
            % (MEMORY_MIB, m.group(1) if m else "none"))

    if args.test == "blk":
        m = re.search(r"^virtio-blk: capacity (\d+) sectors$", out, re.M)
        c.check(m is not None and int(m.group(1)) == DISK_SECTORS,
                "capacity %s = %d sectors" % (m.group(1) if m else "?", DISK_SECTORS))
        want = fnv1a32(original[:SECTOR])
        m = re.search(r"^virtio-blk: sector 0 fnv1a32=0x([0-9a-f]{8})$", out, re.M)
        c.check(m is not None and int(m.group(1), 16) == want,
                "sector 0 checksum read by the guest is the host's 0x%08x" % want)
        with open(disk, "rb") as f:
            after = f.read()
        c.check(len(after) == len(original), "disk image size unchanged")
        c.check(after[SECTOR:2 * SECTOR] == sector1_pattern(),
                "host sees the guest's pattern in sector 1")
        c.check(after[:SECTOR] == original[:SECTOR] and after[2 * SECTOR:] == original[2 * SECTOR:],
                "every other sector unchanged")

    if c.failures:
        print("FAIL: %d check(s) failed; command: %s" % (len(c.failures), " ".join(cmd)))
        print("(disk image and serial log kept in %s)" % work)
        return 1
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS: kvm pvh guest, test %s, on %s (%.2f s)" % (args.test, args.emu, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
