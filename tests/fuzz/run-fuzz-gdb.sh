#!/bin/bash
# run-fuzz-gdb.sh — the short run of fuzz-gdb in `make check`: seeds of
# real gdb traffic (a session's packets, with acks, escapes and Ctrl-C),
# then a bounded libFuzzer run.
#
# The one thing to know: everything lives in a temporary directory; a crash
# or hang leaves its reproducer in the build tree (fuzz-gdb-crash-*) and
# fails the test.
# Usage: run-fuzz-gdb.sh FUZZ-GDB DICT [SECONDS]
set -eu
fuzz=$(realpath "$1") dict=$(realpath "$2") secs=${3:-30}
out=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir seeds
n=0
# packet PAYLOAD: $PAYLOAD#checksum
packet() {
    local p=$1 sum=0 i
    for ((i = 0; i < ${#p}; i++)); do
        sum=$(((sum + $(printf '%d' "'${p:i:1}")) & 255))
    done
    printf '$%s#%02x' "$p" "$sum"
}
seed() { n=$((n + 1)); printf '%s' "$1" > "seeds/$n"; }
# the first byte picks the chunk size
seed "!$(packet 'qSupported:multiprocess+;swbreak+;xmlRegisters=i386')+$(packet 'vMustReplyEmpty')+$(packet 'QStartNoAckMode')"
seed "!$(packet 'qXfer:features:read:target.xml:0,ffb')$(packet 'qXfer:features:read:target.xml:40,10')"
seed "!$(packet '?')$(packet 'g')$(packet 'qfThreadInfo')$(packet 'qsThreadInfo')$(packet 'qC')$(packet 'Hg2')$(packet 'p20')"
seed "!$(packet 'm10000,40')$(packet 'M10000,4:01020304')$(packet 'X10010,4:abcd')$(packet 'm10010,4')"
seed "!$(packet 'Z0,10020,2')$(packet 'vCont;c')$(printf '\003')$(packet 'z0,10020,2')$(packet 'vCont;s:1;c')"
seed "!$(packet 'Z2,10000,8')$(packet 'c')$(packet 'z2,10000,8')$(packet 'Z4,10008,4')$(packet 's')"
seed "!$(packet 'P5=0102030405060708')$(packet 'G'$(printf '%0528d' 0))$(packet 'T1')$(packet 'D')"
seed "!\$m10000,4#00\$${RANDOM}#zz+-+$(packet 'qThreadExtraInfo,2')$(packet 'vKill')"
if ! "$fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=20000 \
        -dict="$dict" -artifact_prefix="$out/fuzz-gdb-" seeds >fuzz.log 2>&1; then
    tail -40 fuzz.log
    echo "fuzz-gdb: FAILED (reproducer in $out/fuzz-gdb-*)"
    exit 1
fi
grep -E "^#[0-9]+ +DONE" fuzz.log || tail -3 fuzz.log
echo "fuzz-gdb: no crash in $secs s"
