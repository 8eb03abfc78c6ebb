# net.sh — brings up eth0 with DHCP (e.g. -netdev user) and downloads
# mimic.url=URL, printing its sha256sum for the host to compare.
set -e
ip link set lo up
udhcpc -i eth0 -n -q -t 5 -s /etc/udhcpc.script
ip addr show eth0
wget -q -O /tmp/download "$MIMIC_URL"
sha256sum /tmp/download
echo "mimic-guest: net ok"
