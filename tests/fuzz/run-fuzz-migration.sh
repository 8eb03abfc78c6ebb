#!/bin/bash
# run-fuzz-migration.sh — the short run of fuzz-migration in `make check`:
# seeds that edit a valid machine-state stream (and one raw stream), then a
# bounded libFuzzer run.
#
# The one thing to know: everything lives in a temporary directory; a crash
# or hang leaves its reproducer in the build tree (fuzz-migration-crash-*)
# and fails the test.
# Usage: run-fuzz-migration.sh FUZZ-MIGRATION [SECONDS]
set -eu
fuzz=$(realpath "$1") secs=${2:-20}
out=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir seeds
printf '\000\000\000' > seeds/valid              # the valid stream as it is
printf '\000\000\020\000\000\045\002' > seeds/page  # a record tag edited
printf '\000\377\377\000\011\000\377' > seeds/late   # an edit deep in the sections
printf '\001MIMICVM\n\001\000\000\000' > seeds/raw   # a raw stream, cut short
if ! "$fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$out/fuzz-migration-" seeds >fuzz.log 2>&1; then
    tail -40 fuzz.log
    echo "fuzz-migration: FAILED (reproducer in $out/fuzz-migration-*)"
    exit 1
fi
grep -E "^#[0-9]+ +DONE" fuzz.log || tail -3 fuzz.log
echo "fuzz-migration: no crash in $secs s"
