# Scenario (scenarios/model-weights.sh), in the systemd guest (run --systemd): model weights
# stamped into a pool once and mapped with numpy straight from the CXL memory
# (docs/model-weights.md). MIB: the weights' size (default 64).
#   1. numpy writes a MIB MiB float32 matrix as weights.npy (seeded) and prints its data's sha256;
#      `daxpool build` makes a daxfs image of its folder; `daxpool create` + `load` + `mount`.
#   2. The same file copied to ext4 on a RAM disk (brd), the page-cache file system to compare.
#   3. model_weights.py first-use on each: np.load(mmap_mode='r') + one full pass (sha256),
#      after dropping the clean page cache. daxfs: the data's sha256 equals the source's and
#      /proc/meminfo Cached + Buffers grew by less than 1/16 of the file. ext4: the same sha256,
#      and the same growth check fails there (the page cache grew by >= 90 % of the file).
#   4. Time to first use, ext4 / daxfs, printed as a ratio (not asserted).
MIB=${MIB:-64}
say "numpy: weights.npy, $MIB MiB of float32"
mkdir -p /tmp/w
want=$(python3 /in/model_weights.py make /tmp/w/weights.npy "$MIB")
[ ${#want} = 64 ] || fail "make: no sha256 ($want)"
ls -l /tmp/w/weights.npy
say "daxfs image, pool 'models', load, mount at /srv/models"
daxpool build -q /tmp/w -o /tmp/weights.daxfs
# The image and room to spare, rounded up to the CXL region granule (256 MiB per memdev).
daxpool create --size $(((MIB + 64 + 255) / 256 * 256))M --name models --mode devdax -q
daxpool load /tmp/weights.daxfs --pool models --name weights --no-progress -q
rm /tmp/weights.daxfs
mkdir -p /srv/models
daxpool mount weights /srv/models --pool models
grep " /srv/models " /proc/mounts
say "ext4 on a RAM disk (brd) with the same file"
modprobe brd rd_nr=1 rd_size=$(((MIB + 32) * 1024))
mkfs.ext4 -q /dev/ram0
mkdir -p /mnt/ext4
mount -t ext4 /dev/ram0 /mnt/ext4
cp /tmp/w/weights.npy /mnt/ext4/
cmp /tmp/w/weights.npy /mnt/ext4/weights.npy
rc=0
say "first use from daxfs: np.load(mmap_mode='r') + a full pass"
python3 /in/model_weights.py first-use /srv/models/weights.npy "$want" > /tmp/dax.out || rc=1
cat /tmp/dax.out
say "first use from ext4 (the page cache must grow here: the check above can fail)"
python3 /in/model_weights.py first-use /mnt/ext4/weights.npy "$want" --expect-cache-growth > /tmp/ext4.out || rc=1
cat /tmp/ext4.out
td=$(awk '/^first-use/ { print $3 }' /tmp/dax.out)
te=$(awk '/^first-use/ { print $3 }' /tmp/ext4.out)
[ -n "$td" ] && [ -n "$te" ] || fail "no first-use times"
# Printed, not asserted. Under QEMU the CXL memory is emulated device memory (every guest load
# of it goes through QEMU's memory dispatch) while brd's pages are plain guest RAM: the ratio
# here says more about the emulator than about CXL hardware.
echo "time to first use: daxfs $td s, ext4 (cold page cache) $te s; daxfs / ext4 = $(awk -v a="$td" -v b="$te" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x (not asserted)"
daxpool status --pool models | grep -e "image 'weights'" -e "memory saved"
umount /mnt/ext4
daxpool umount /srv/models
[ $rc = 0 ] || fail "model weights: a check failed (FAIL lines above)"
echo "model-weights: ok"
