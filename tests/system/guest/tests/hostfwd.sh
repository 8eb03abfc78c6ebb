# hostfwd.sh — a TCP service in the guest reached from the host through
# -netdev user hostfwd: httpd serves a 4 MiB file (its sha256 printed for
# the host), then nc on port 81 takes a 4 MiB upload and prints its sha256.
set -e
ip link set lo up
udhcpc -i eth0 -n -q -t 5 -s /etc/udhcpc.script
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/blob bs=65536 count=64 2>/dev/null
httpd -p 80 -h /tmp/www
echo "mimic-guest: serving $(sha256sum /tmp/www/blob | cut -d' ' -f1)"
nc -l -p 81 > /tmp/upload
echo "mimic-guest: received $(sha256sum /tmp/upload | cut -d' ' -f1)"
