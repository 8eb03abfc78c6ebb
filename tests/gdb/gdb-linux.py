#!/usr/bin/env python3
"""gdb-linux.py — gdb attaches to a running Linux guest on the virt machine
(-gdb tcp::PORT, no -S): the machine stops on attach, gdb reads the trap
vector (stvec) and the code there through the hart's MMU, breaks on it,
sees the trap (scause, sepc), steps, detaches; the guest's shell then
still answers on the console.

The guest kernel has no symbols (no vmlinux or kallsyms in the guest
images), so the breakpoint is by address: the kernel's own stvec.

Usage: gdb-linux.py MIMIC-SYSTEM GUESTDIR
Exits 77 (skipped) without gdb-multiarch or the guest images."""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbclient  # noqa: E402


def main():
    emu, guest = sys.argv[1], sys.argv[2]
    if not shutil.which(gdbclient.GDB):
        print("SKIP: gdb-multiarch is not installed (scripts/setup.sh installs it)")
        return 77
    for f in ("Image", "initramfs.cpio.gz"):
        if not os.path.exists(os.path.join(guest, f)):
            print("SKIP: no %s in %s (make guest builds it)" % (f, guest))
            return 77
    port = gdbclient.free_port()
    p = subprocess.Popen([emu, "-M", "virt", "-m", "256M", "-smp", "2", "-nographic",
                          "-no-reboot", "-kernel", os.path.join(guest, "Image"),
                          "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
                          "-append", "console=ttyS0 panic=-1", "-gdb", "tcp::%d" % port],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = []
    threading.Thread(target=lambda: [out.append(b) for b in iter(lambda: p.stdout.read1(4096), b"")],
                     daemon=True).start()

    def wait_for(text, secs):
        end = time.time() + secs
        while time.time() < end:
            if text in b"".join(out):
                return True
            if p.poll() is not None:
                break
            time.sleep(0.05)
        print(b"".join(out)[-2000:].decode(errors="replace"))
        raise AssertionError("no %r on the console" % text)

    try:
        wait_for(b"starting a shell", 240)
        time.sleep(1)
        g = gdbclient.run_gdb("", port, [
            "p/x $stvec", "x/2i $stvec", "info threads", "break *$stvec", "continue",
            "p/x $scause", "p/x $sepc", "p $pc == $stvec", "stepi", "p $pc == $stvec + 4",
            "delete", "detach"])
        gdbclient.check_output(g, [
            "$1 = 0xffffffff8", ":\tcsrrw\ttp,sscratch,tp", "Thread 1 (hart 0)",
            "Thread 2 (hart 1)", "Breakpoint 1 at 0xffffffff8", "hit Breakpoint 1",
            "$2 = 0x", "$3 = 0x", "$4 = 1", "$5 = 1", "detached"])
        p.stdin.write(b"echo alive-$((6*7))\n")
        p.stdin.flush()
        wait_for(b"alive-42", 60)
        p.stdin.write(b"exit\n")
        p.stdin.flush()
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    print("gdb-linux: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
