#!/usr/bin/env python3
"""run.py — runs one numbered block test (a bash script) in a scratch
directory and compares its output (stdout and stderr together) with the
golden file NAME.out beside it.

The one thing to know: the script finds the tools in $IMG (mimic-img),
$IO (mimic-io), $QEMU_IMG and $QEMU_IO (the oracle, may be empty); the
scratch directory's path is replaced by TEST_DIR in the output, and an
exit status of 77 means "skipped" (meson's convention); meson's timeout
(scaled for sanitizer builds) bounds the run. --regen rewrites
the golden file (review the diff before committing).
"""
import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--img", required=True)
    ap.add_argument("--io", required=True)
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("test")
    args = ap.parse_args()

    golden = args.test + ".out"
    with tempfile.TemporaryDirectory(prefix="mimic-block-") as tmp:
        env = dict(os.environ)
        env.update({
            "IMG": os.path.abspath(args.img),
            "IO": os.path.abspath(args.io),
            "QEMU_IMG": shutil.which("qemu-img") or "",
            "QEMU_IO": shutil.which("qemu-io") or "",
            "TEST_DIR": tmp,
            "LC_ALL": "C",
        })
        proc = subprocess.run(["bash", os.path.abspath(args.test)], cwd=tmp, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.stdout.decode("utf-8", "replace").replace(tmp, "TEST_DIR")
    if proc.returncode == 77:
        print("skipped: " + out.strip().splitlines()[-1] if out.strip() else "skipped")
        return 77
    if proc.returncode != 0:
        out += "[script exited with status %d]\n" % proc.returncode
    if args.regen:
        with open(golden, "w") as f:
            f.write(out)
        print("wrote " + golden)
        return 0
    try:
        with open(golden) as f:
            want = f.read()
    except OSError as e:
        print("no golden output: %s" % e)
        print(out)
        return 1
    if out != want:
        sys.stdout.writelines(difflib.unified_diff(
            want.splitlines(True), out.splitlines(True), golden, "actual output"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
