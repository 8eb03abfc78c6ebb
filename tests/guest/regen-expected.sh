#!/bin/bash
# regen-expected.sh — regenerates tests/guest/riscv64/NAME.expected by running
# each built guest program under the oracle, qemu-riscv64.
#
# The one thing to know: review `git diff tests/guest` afterwards; an expected
# file must never contain timing-, pid- or address-dependent output, and hand
# corrections for known oracle bugs must be kept (zb.expected: ctzw, see zb.c).
# Usage: tests/guest/regen-expected.sh [BUILD_DIR] [NAME...]   (default: build, all)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
if [ $# -eq 0 ]; then
    names=()
    for exe in "$build"/tests/rv64-*; do
        names+=("${exe##*/rv64-}")
    done
else
    names=("$@")
fi
for name in "${names[@]}"; do
    printf '%-12s ' "$name"
    python3 tests/guest/run-guest.py --regen --emulator qemu-riscv64 \
        "$build/tests/rv64-$name" "tests/guest/riscv64/$name"
done
