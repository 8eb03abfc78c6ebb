# disk.sh — mounts the ext4 image on /dev/vda (made on the host), writes
# /guest.txt with known content and unmounts; the host then reads the file
# back with debugfs. The image already holds /host.txt, which is checked.
set -e
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt
cat /mnt/host.txt
echo "written by the mimic guest" > /mnt/guest.txt
sync
umount /mnt
echo "mimic-guest: disk ok"
