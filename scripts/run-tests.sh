#!/bin/bash
# run-tests.sh — runs every meson test in a build directory, then prints one
# plain summary line: "N passed, N failed" (", N skipped" when any were).
#
# The one thing to know: the exit status is meson's (non-zero if any test
# failed); extra arguments go to `meson test`.
# Usage: scripts/run-tests.sh BUILD_DIR [meson test args...]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/run-tests.sh BUILD_DIR [meson test args]}
shift
rm -f "$build/meson-logs/testlog.json"
nice meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?
python3 scripts/test-summary.py "$build/meson-logs/testlog.json" || rc=1
exit $rc
