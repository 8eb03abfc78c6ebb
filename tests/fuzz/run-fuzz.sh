#!/bin/bash
# run-fuzz.sh — the short fuzz run of `make check`: builds a seed corpus of
# small images of every format (made by mimic-img and, when installed,
# qemu-img) and runs fuzz-image on it for a bounded time.
#
# The one thing to know: the seeds and everything libFuzzer writes live in a
# temporary directory; a crash leaves its reproducer in the build tree
# (fuzz-crash-*) and fails the test. To fuzz longer by hand see docs/block.md.
# Usage: run-fuzz.sh FUZZ-IMAGE MIMIC-IMG MIMIC-IO DICT [extra libFuzzer args]
set -eu
fuzz=$(realpath "$1") img=$(realpath "$2") io=$(realpath "$3") dict=$(realpath "$4")
shift 4
out=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir seeds corpus

python3 -c "
import random
r = random.Random(7)
b = bytearray(256 * 1024)
for i in range(0, len(b), 16384):
    b[i:i + 3000] = bytes(r.randrange(4) for _ in range(3000))
open('data.raw', 'wb').write(b)"
n=0
seed() { n=$((n + 1)); cp "$1" "seeds/$n-$(basename "$1")"; }
for spec in qcow2: qcow: vmdk: vmdk:subformat=streamOptimized vdi: vpc:; do
    fmt=${spec%%:*} opt=${spec#*:}
    "$img" create -q -f "$fmt" ${opt:+-o "$opt"} "empty-$n.$fmt" 1M >/dev/null
    seed "empty-$n.$fmt"
    if [ "$fmt" != vdi ] && [ "$fmt" != vpc ]; then
        "$img" convert -O "$fmt" ${opt:+-o "$opt"} data.raw "data-$n.$fmt"
        seed "data-$n.$fmt"
    fi
done
"$img" convert -c -O qcow2 data.raw c.qcow2 && seed c.qcow2
if command -v qemu-img >/dev/null; then
    qemu-img convert -c -O qcow data.raw qc.qcow && seed qc.qcow
    qemu-img convert -O vmdk -o subformat=streamOptimized data.raw qs.vmdk && seed qs.vmdk
fi

status=0
"$fuzz" -max_len=65536 -dict="$dict" -runs="${FUZZ_RUNS:-20000}" \
    -max_total_time="${FUZZ_TIME:-25}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/fuzz-crash-" -print_final_stats=1 "$@" corpus seeds \
    >fuzz.log 2>&1 || status=$?
# Keep the verdict and the final stats, not the progress lines.
sed -n -e '/^==[0-9][0-9]*==/,$p' -e '/^stat::/p' -e '/^Done /p' fuzz.log
if [ "$status" -ne 0 ]; then
    echo "fuzz-image failed (status $status); reproducer: $out/fuzz-crash-*"
    exit 1
fi
echo "fuzz-image: no crash"
