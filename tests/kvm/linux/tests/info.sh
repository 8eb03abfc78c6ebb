# info.sh — mimic.test=info: what the kernel sees of the machine. Fails if
# the console is not a 16550 on ttyS0 or /proc/meminfo is missing.
set -e
echo "uname: $(uname -a)"
echo "cpus: $(nproc)"
grep -E '^(MemTotal|MemFree):' /proc/meminfo
grep -q 'serial' /proc/tty/driver/serial 2>/dev/null || true
grep -E '^0: uart:16550A' /proc/tty/driver/serial
grep -c '^processor' /proc/cpuinfo
cat /proc/cmdline
