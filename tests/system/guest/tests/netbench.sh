# netbench.sh — the guest side of bench/net.py (throughput, not a check).
# mimic.role=user: DHCP through -netdev user, httpd serves mimic.size MiB
# on port 80 (host downloads through hostfwd), nc on port 81 swallows an
# upload and reports its size when the host closes. mimic.role=a / b: two
# guests over -netdev socket; b sends mimic.size MiB to a's nc.
set -e
ip link set lo up
size=${MIMIC_SIZE:-16}
case "$MIMIC_ROLE" in
user)
    udhcpc -i eth0 -n -q -t 5 -s /etc/udhcpc.script >/dev/null
    mkdir -p /tmp/www
    dd if=/dev/zero of=/tmp/www/blob bs=1048576 count="$size" 2>/dev/null
    httpd -p 80 -h /tmp/www
    echo "mimic-guest: netbench serving $size MiB"
    echo "mimic-guest: netbench received $(nc -l -p 81 | wc -c) bytes"
    ;;
a)
    ip link set eth0 up
    ip addr add 10.0.3.1/24 dev eth0
    echo "mimic-guest: netbench a listening"
    echo "mimic-guest: netbench a received $(nc -l -p 7000 | wc -c) bytes"
    ;;
b)
    ip link set eth0 up
    ip addr add 10.0.3.2/24 dev eth0
    ping -c 1 -w 20 10.0.3.1 >/dev/null
    echo "mimic-guest: netbench b sending $size MiB"
    dd if=/dev/zero bs=1048576 count="$size" 2>/dev/null | nc 10.0.3.1 7000
    echo "mimic-guest: netbench b sent"
    ;;
esac
