#!/usr/bin/env python3
"""run-guest.py — runs one guest program under an emulator and checks it.

Normal mode compares the program's stdout and exit status with the files next
to its source: NAME.expected (stdout), and optionally NAME.args (arguments,
shell-quoted, @TMPDIR@ becomes a fresh scratch directory), NAME.emuargs
(emulator options before the program, shell-quoted, e.g. "-L
/usr/riscv64-linux-gnu" for dynamic programs; given to the oracle too),
NAME.mimicargs (options for mimic only, not for the oracle, e.g. "-accel
tcg,tb-size=1"), NAME.stdin, and NAME.status (exit status as a shell shows
it: 139 = killed by SIGSEGV).
--regen writes NAME.expected from the run instead (use it with the oracle,
qemu-riscv64, then review the diff). --bad KIND checks that a malformed
program is refused with a message and a plain non-zero exit. --audit (with
qemu-riscv64) checks that the program executes no instruction outside the
implemented set.

The one thing to know: the environment, umask and working directory are
fixed here, so the output depends only on the program and the emulator;
exit code 77 tells meson a test was skipped.
"""
import argparse
import difflib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 300
GUEST_ENV = {"GUEST_A": "1", "GUEST_B": "two words", "GUEST_EMPTY": ""}


def emulator_command(emulator, backend):
    """The emulator invocation before the program path."""
    cmd = [emulator]
    if backend == "interp":
        cmd += ["-accel", "tcg,backend=interp"]
    return cmd


def emulator_args(stem):
    """Extra emulator options from NAME.emuargs (none if there is no file)."""
    return shlex.split(read_optional(stem + ".emuargs") or "")


def guest_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUEST_")}
    env.update(GUEST_ENV)
    env["LC_ALL"] = "C"
    return env


def shell_status(returncode):
    """Exit status as a shell reports it: 128 + signal for a killed process."""
    return 128 - returncode if returncode < 0 else returncode


def run(cmd, stdin_data, cwd):
    try:
        p = subprocess.run(cmd, input=stdin_data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, cwd=cwd, env=guest_env(),
                           timeout=TIMEOUT, umask=0o022)
    except subprocess.TimeoutExpired:
        print(f"TIMEOUT after {TIMEOUT}s: {shlex.join(cmd)}")
        sys.exit(1)
    return p


def read_optional(path, mode="r"):
    if not os.path.exists(path):
        return None
    with open(path, mode) as f:
        return f.read()


def check_program(args):
    stem = args.stem
    tmpdir = tempfile.mkdtemp(prefix="mimic-guest-")
    try:
        argtext = read_optional(stem + ".args") or ""
        prog_args = [a.replace("@TMPDIR@", tmpdir) for a in shlex.split(argtext)]
        stdin_data = read_optional(stem + ".stdin", "rb") or b""
        status_text = read_optional(stem + ".status")
        want_status = int(status_text) if status_text else 0
        mimic_only = [] if args.regen else shlex.split(read_optional(stem + ".mimicargs") or "")
        cmd = (emulator_command(args.emulator, args.backend) + emulator_args(stem) + mimic_only
               + [args.program] + prog_args)
        p = run(cmd, stdin_data, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    got_status = shell_status(p.returncode)
    if args.regen:
        with open(stem + ".expected", "wb") as f:
            f.write(p.stdout)
        print(f"wrote {stem}.expected ({len(p.stdout)} bytes), status {got_status}")
        if got_status != want_status:
            print(f"note: status {got_status}, {stem}.status says {want_status}")
        return 0

    want_out = read_optional(stem + ".expected", "rb")
    if want_out is None:
        print(f"missing {stem}.expected")
        return 1
    ok = True
    print(f"command: {shlex.join(cmd)}")
    if p.stdout != want_out:
        ok = False
        print("stdout differs from", stem + ".expected:")
        diff = difflib.unified_diff(
            want_out.decode(errors="replace").splitlines(),
            p.stdout.decode(errors="replace").splitlines(),
            "expected", "got", lineterm="")
        for i, line in enumerate(diff):
            if i >= 60:
                print("... (diff truncated)")
                break
            print(line)
    if got_status != want_status:
        ok = False
        print(f"exit status {got_status}, expected {want_status}")
    if not ok or args.verbose:
        err = p.stderr.decode(errors="replace")
        print("stderr:", err[-4000:] if err else "(empty)")
    return 0 if ok else 1


def make_bad_input(kind, ref_elf, emulator, dirpath):
    """Writes the malformed program for KIND; returns its path."""
    path = os.path.join(dirpath, "bad-" + kind)
    if kind == "x86-elf":
        return shutil.which(emulator) or emulator   # the emulator is an x86-64 ELF
    if kind == "text":
        data = b"#!this is not a program\njust some text\n"
    elif kind == "missing":
        return os.path.join(dirpath, "does-not-exist")
    else:
        with open(ref_elf, "rb") as f:
            elf = f.read()
        cut = {"empty": 0, "trunc-ehdr": 20, "trunc-phdr": 64 + 30,
               "trunc-data": len(elf) // 2}[kind]
        data = elf[:cut]
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o755)
    return path


def check_bad_input(args):
    tmpdir = tempfile.mkdtemp(prefix="mimic-bad-")
    try:
        prog = make_bad_input(args.bad, args.program, args.emulator, tmpdir)
        cmd = emulator_command(args.emulator, args.backend) + [prog]
        p = run(cmd, b"", tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    err = p.stderr.decode(errors="replace")
    print(f"command: {shlex.join(cmd)}")
    print(f"exit status {shell_status(p.returncode)}; stderr: {err.strip() or '(empty)'}")
    problems = []
    if p.returncode == 0:
        problems.append("exit status 0 for a malformed program")
    if p.returncode < 0 or p.returncode >= 128:
        problems.append("died by a signal (crash) instead of exiting with an error")
    if not err.strip():
        problems.append("no error message on stderr")
    if "Sanitizer" in err or "runtime error" in err:
        problems.append("sanitizer report")
    for msg in problems:
        print("FAIL:", msg)
    return 1 if problems else 0


# F and D are implemented in full, with the FP status CSRs (names as QEMU's
# disassembler prints them, aliases included); Q and Zfh are not.
FP_CSR_ALIASES = {"frflags", "fsflags", "fsflagsi", "frrm", "fsrm", "fsrmi", "frcsr", "fscsr"}
FP_OTHER_PRECISIONS = {"q", "h"}


def is_fd_instruction(mnemonic):
    """True for an RV64F/D instruction (or FP CSR alias) mimic implements."""
    if mnemonic in FP_CSR_ALIASES:
        return True
    if not mnemonic.startswith(("f", "c.f")) or mnemonic.startswith("fence"):
        return False
    if mnemonic in ("flq", "fsq", "flh", "fsh"):
        return False
    return not FP_OTHER_PRECISIONS.intersection(mnemonic.split(".")[1:])


FP_CSRS = {"fflags", "frm", "fcsr"}


def outside_implemented_set(mnemonic, operands=""):
    """True for CSR accesses other than to the FP status registers, Q/Zfh
    and vector instructions (operands: QEMU's operand text, e.g.
    "zero,fflags,a0")."""
    if is_fd_instruction(mnemonic) or mnemonic.startswith("fence"):
        return False
    if mnemonic.startswith("csr") and FP_CSRS.intersection(operands.split(",")):
        return False
    return (mnemonic.startswith(("f", "c.f", "csr", "rdtime", "rdcycle", "rdinstret"))
            or mnemonic.startswith("v"))


def audit_instructions(args):
    """Runs the program under qemu-riscv64 -d in_asm and lists executed
    instructions outside the implemented set (translated blocks run in full
    unless they fault, so translated is a close stand-in for executed)."""
    stem = args.stem
    tmpdir = tempfile.mkdtemp(prefix="mimic-audit-")
    try:
        log = os.path.join(tmpdir, "in_asm.log")
        argtext = read_optional(stem + ".args") or ""
        prog_args = [a.replace("@TMPDIR@", tmpdir) for a in shlex.split(argtext)]
        stdin_data = read_optional(stem + ".stdin", "rb") or b""
        run([args.emulator, "-d", "in_asm", "-D", log] + emulator_args(stem)
            + [args.program] + prog_args, stdin_data, tmpdir)
        found = {}
        with open(log, errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[0].startswith("0x"):
                    if outside_implemented_set(parts[2], parts[3] if len(parts) > 3 else ""):
                        found[parts[2]] = found.get(parts[2], 0) + 1
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if found:
        print("instructions outside RV64IMAFDC+Zba/Zbb/Zbs executed:",
              ", ".join(f"{m} x{n}" for m, n in sorted(found.items())))
        return 1
    print("only implemented instructions executed (F/D allowed)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emulator", required=True, help="mimic-riscv64 or qemu-riscv64")
    ap.add_argument("--backend", choices=["jit", "interp"], default="jit")
    ap.add_argument("--regen", action="store_true", help="write NAME.expected")
    ap.add_argument("--bad", choices=["text", "x86-elf", "missing", "empty",
                                      "trunc-ehdr", "trunc-phdr", "trunc-data"],
                    help="check refusal of a malformed program (PROGRAM is the "
                         "riscv64 ELF to truncate)")
    ap.add_argument("--audit", action="store_true",
                    help="with --emulator qemu-riscv64: fail if the program executes "
                         "Q/Zfh, non-FP CSR or vector instructions")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("program", help="guest executable")
    ap.add_argument("stem", nargs="?", help="path of NAME without extension")
    args = ap.parse_args()
    if not os.path.exists(args.emulator) and not shutil.which(args.emulator):
        print(f"SKIP: emulator {args.emulator} not found")
        return 77
    # the guest runs in a scratch directory, so resolve paths first
    if os.path.exists(args.emulator):
        args.emulator = os.path.abspath(args.emulator)
    args.program = os.path.abspath(args.program)
    if args.bad:
        return check_bad_input(args)
    if not args.stem:
        ap.error("stem is required unless --bad is given")
    if args.audit:
        return audit_instructions(args)
    return check_program(args)


if __name__ == "__main__":
    sys.exit(main())
