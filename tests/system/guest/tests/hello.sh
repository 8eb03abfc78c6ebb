# hello.sh — smallest guest test: the kernel booted and userspace runs.
uname -a
echo "mimic-guest: hello ok"
