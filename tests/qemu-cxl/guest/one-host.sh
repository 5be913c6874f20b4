# The demo's first part: one emulated CXL host with two 2 GiB memdevs, driven by daxpool alone.
run() { echo "# $*"; "$@"; }
run daxpool list
run daxpool create --size 4G --name demo
run daxpool load /in/image --region 0 --name rootfs
run daxpool list --region 0
mkdir -p /mnt/rootfs
run daxpool mount rootfs /mnt/rootfs --region 0
run grep /mnt/rootfs /proc/mounts
run ls /mnt/rootfs
expect_tree /mnt/rootfs
run daxpool umount /mnt/rootfs
