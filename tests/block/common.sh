# common.sh — sourced by every numbered block test: helpers and filters.
#
# The one thing to know: output that depends on the host (disk usage,
# progress carriage returns) goes through the filters here, so the golden
# files are the same on every machine.

# Runs mimic-img and prints its exit status when it is not 0.
img() {
    "$IMG" "$@"
    local rc=$?
    [ $rc -eq 0 ] || echo "[exit $rc]"
    return 0
}

# The same for the oracle.
qimg() {
    "$QEMU_IMG" "$@"
    local rc=$?
    [ $rc -eq 0 ] || echo "[qemu-img exit $rc]"
    return 0
}

io() {
    "$IO" "$@"
    local rc=$?
    [ $rc -eq 0 ] || echo "[exit $rc]"
    return 0
}

# Skips the test (exit 77) when qemu-img or qemu-io is missing.
require_qemu() {
    if [ -z "$QEMU_IMG" ] || [ -z "$QEMU_IO" ]; then
        echo "qemu-img/qemu-io not installed (package qemu-utils)"
        exit 77
    fi
}

# Drops host-dependent lines of `info`.
filter_info() {
    grep -v -e '^disk size:' -e '"actual-size":'
}

# qemu-io prints timings; keep only what it wrote or read.
qio() {
    "$QEMU_IO" "$@" | grep -v -e '^[0-9.]* [KMG]*i*B, ' -e 'ops/sec'
}

# Writes a qcow2 header field: poke FILE OFFSET HEX-BYTES (e.g. 00000004).
poke() {
    printf "$(echo "$3" | sed 's/../\\x&/g')" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
