#!/usr/bin/env python3
"""test-summary.py — prints "N passed, N failed[, N skipped]" from meson's
testlog.json (one JSON object per test).

The one thing to know: timeouts, errors and unexpected passes count as
failed, expected failures as passed; a missing log is an error, not "0
passed".
"""
import json
import sys


def main():
    path = sys.argv[1]
    passed = failed = skipped = 0
    try:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                result = json.loads(line).get("result", "")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except OSError as e:
        print(f"no test results: {e}")
        return 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
