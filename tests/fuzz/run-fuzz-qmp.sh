#!/bin/bash
# run-fuzz-qmp.sh — the short run of fuzz-qmp in `make check`: seeds of
# real QMP traffic (every command, good and bad arguments, HMP lines), then
# a bounded libFuzzer run.
#
# The one thing to know: everything lives in a temporary directory; a crash
# or hang leaves its reproducer in the build tree (fuzz-qmp-crash-*,
# fuzz-qmp-timeout-*) and fails the test.
# Usage: run-fuzz-qmp.sh FUZZ-QMP DICT [SECONDS]
set -eu
fuzz=$(realpath "$1") dict=$(realpath "$2") secs=${3:-30}
out=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir seeds
n=0
seed() { n=$((n + 1)); printf '%s' "$1" > "seeds/$n"; }
# the first byte picks the chunk size, the second whether to negotiate
seed '!!{"execute": "query-status", "id": 1}'
seed ' {"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}{"exec-oob": "stop"}'
seed '!!{"execute": "human-monitor-command", "arguments": {"command-line": "x/4xw 0x80000000"}}'
seed '!!{"execute": "human-monitor-command", "arguments": {"command-line": "xp/3c $pc+4", "cpu-index": 1}}'
seed '!!{"execute": "query-block"}{"execute": "query-blockstats"}{"execute": "query-cpus-fast"}'
seed '!!{"execute": "stop"}{"execute": "cont"}{"execute": "system_reset"}{"execute": "quit"}'
seed "!!{'execute': 'query-version', 'id': [1, {'a': null}]}"
seed '!!garbage [1] "s" } {"execute": 1} {"execute": "x", "arguments": []}'
seed '!!info registers -a
x/10ug 0x80000000
xp/2dh 0x8000fff0
help x
cpu 1
info mtree'
if ! "$fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -dict="$dict" -artifact_prefix="$out/fuzz-qmp-" seeds >fuzz.log 2>&1; then
    tail -40 fuzz.log
    echo "fuzz-qmp: FAILED (reproducer in $out/fuzz-qmp-*)"
    exit 1
fi
grep -E "^#[0-9]+ +DONE" fuzz.log || tail -3 fuzz.log
echo "fuzz-qmp: no crash in $secs s"
