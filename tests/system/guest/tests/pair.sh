# pair.sh — one of two guests joined by -netdev socket (no DHCP there):
# mimic.role=a takes 10.0.3.1 and receives 1 MiB with nc; mimic.role=b takes
# 10.0.3.2, pings a and sends the data. Each prints what it saw.
set -e
ip link set lo up
ip link set eth0 up
if [ "$MIMIC_ROLE" = a ]; then
    ip addr add 10.0.3.1/24 dev eth0
    echo "mimic-guest: pair a listening"
    nc -l -p 7000 > /tmp/got
    echo "mimic-guest: pair a received $(sha256sum /tmp/got | cut -d' ' -f1)"
else
    ip addr add 10.0.3.2/24 dev eth0
    ping -c 3 -w 20 10.0.3.1
    dd if=/dev/zero bs=65536 count=16 2>/dev/null | tr '\000' 'm' > /tmp/data
    echo "mimic-guest: pair b sending $(sha256sum /tmp/data | cut -d' ' -f1)"
    nc 10.0.3.1 7000 < /tmp/data
    echo "mimic-guest: pair b sent"
fi
