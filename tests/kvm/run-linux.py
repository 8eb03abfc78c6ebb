#!/usr/bin/env python3
"""run-linux.py — boots Debian's cloud kernel with the busybox initramfs of
scripts/build-kvm-guest.sh on a KVM microvm and checks it gets to init and
a shell on ttyS0, then ends it with `reboot -f` (the emulator, run with
-no-reboot, must exit 0 by itself).

Default (shell mode): waits for MIMIC-KVM-INIT-OK, types two commands on the
serial console (an arithmetic echo, and /tests/info.sh, which needs a 16550
on ttyS0), then `reboot -f`. --script NAME instead boots with mimic.test=NAME
and expects init to run /tests/NAME.sh and reboot by itself.
Prints the time from launch to init's marker.

The one thing to know: the host KVM of the machines this was written on
(nested) fails to emulate some instructions ("KVM internal error.
Suberror: 1", emulation failure): CMPXCHG16B, XRSTOR and INT3. The first
two are avoided (-cpu host,-cx16 and `noxsave` on the command line, harmless
elsewhere; so are CLAC and POPCNT, met later, with clearcpuid=smap,popcnt);
INT3 is not avoidable — Linux 6.1 runs int3_selftest() in
alternative_instructions() — so on such a host the boot stops there, and
this runner reports it at once instead of waiting for the deadline.
Exit 77 (skip) when /dev/kvm is not usable, the emulator or the assets are
missing (make kvm-guest).
Usage: run-linux.py [--emu mimic|qemu] [--binary PATH] [--assets DIR] [--script NAME]
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmtest  # noqa: E402

MEMORY_MIB = 512
# Kernel switches that keep the cloud kernel away from instructions this
# host's nested KVM cannot emulate (docs/kvm-guests.md); harmless elsewhere.
NESTED_WORKAROUNDS = "noxsave clearcpuid=smap,popcnt"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--emu", choices=["mimic", "qemu"], default="mimic")
    ap.add_argument("--binary", help="emulator binary")
    ap.add_argument("--assets", default=os.path.join(kvmtest.REPO, "build", "kvm-guest"),
                    help="directory with bzImage and initramfs.cpio.gz (default build/kvm-guest)")
    ap.add_argument("--script", help="boot with mimic.test=NAME (runs /tests/NAME.sh)")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--cpu", default="host,-cx16",
                    help="-cpu value (default host,-cx16; 'none' passes no -cpu)")
    ap.add_argument("--timeout", type=float, default=900,
                    help="seconds for the whole run (default 900: nested KVM is slow)")
    ap.add_argument("--log", help="write the console transcript here")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not echo the console")
    args = ap.parse_args()

    binary = kvmtest.preflight(args.emu, args.binary)
    kernel = os.path.join(args.assets, "bzImage")
    initrd = os.path.join(args.assets, "initramfs.cpio.gz")
    for f in (kernel, initrd):
        if not os.path.isfile(f):
            kvmtest.skip("%s missing (make kvm-guest builds it)" % f)

    append = "console=ttyS0 panic=-1 " + NESTED_WORKAROUNDS
    if args.script:
        append += " mimic.test=" + args.script
    cpu = [] if args.cpu == "none" else ["-cpu", args.cpu]
    cmd = (kvmtest.base_command(args.emu, binary, MEMORY_MIB) + cpu
           + ["-smp", str(args.smp), "-kernel", kernel, "-initrd", initrd, "-append", append])
    print("run: " + " ".join(cmd), flush=True)
    deadline = time.monotonic() + args.timeout
    left = lambda: max(deadline - time.monotonic(), 0)  # noqa: E731

    con = kvmtest.Console(cmd, args.log, echo=not args.quiet)
    failures = []

    def fail(what):
        failures.append(what)
        print("\nFAILED: " + what, flush=True)

    m = con.expect(r"MIMIC-KVM-INIT-OK uptime=([0-9.]+)s kernel=(\S+) cpus=(\d+)", left(),
                   fatal=kvmtest.KVM_FATAL)
    if con.fatal:
        code = re.search(r"^Code=.*$", con.output(), re.M)
        fail("the host KVM stopped the guest %.1f s after launch (%s%s); see docs/kvm-guests.md"
             % (con.elapsed(), con.fatal.group(0), "; " + code.group(0) if code else ""))
    elif m is None:
        fail("no MIMIC-KVM-INIT-OK within %g s" % args.timeout)
    else:
        t_init = con.elapsed()
        print("\n==> init reached %.1f s after launch (guest uptime %s s, kernel %s, %s cpu)"
              % (t_init, m.group(1), m.group(2), m.group(3)), flush=True)
        if int(m.group(3)) != args.smp:
            fail("guest sees %s cpus, -smp %d" % (m.group(3), args.smp))
        if args.script:
            m = con.expect(r"MIMIC-KVM-TEST: %s (rc=(\d+)|unknown)" % re.escape(args.script), left())
            if m is None or m.group(2) != "0":
                fail("/tests/%s.sh did not report rc=0" % args.script)
        elif con.expect(r"MIMIC-KVM-INIT: shell on the console", left()) is None:
            fail("init did not start the shell")
        else:
            # The shell may not read the console yet: repeat until it answers.
            for _ in range(10):
                con.send("echo MIMIC-SHELL-$((6*7))\n")
                if con.expect(r"MIMIC-SHELL-42", min(30, left())):
                    break
            else:
                fail("no answer from the shell on ttyS0")
            if not failures:
                con.send("sh /tests/info.sh; echo MIMIC-INFO-RC=$?\n")
                m = con.expect(r"MIMIC-INFO-RC=(\d+)", min(120, left()))
                if m is None or m.group(1) != "0":
                    fail("/tests/info.sh failed in the shell")
            con.send("reboot -f\n")
    rc = con.wait(left() if not failures else min(left(), 10))
    total = con.elapsed()
    if rc is None:
        if not con.fatal:
            fail("the emulator did not exit within the deadline (killed)")
    elif rc != 0:
        fail("emulator exit status %d, expected 0" % rc)
    if failures:
        print("FAIL: %s; command: %s" % ("; ".join(failures), " ".join(cmd)))
        if args.quiet:
            print("---- console ----\n" + con.output()[-6000:])
        return 1
    print("PASS: Linux booted to init and a shell on %s, ended by reboot -f (%.1f s total)"
          % (args.emu, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
