# Scenario step: one daxfs image, one physical copy, two hosts. Run at the same time as ROLE=A
# and ROLE=B on one backing file holding a devdax namespace. A stamps the image (/in/image)
# into the shared memory at 2 MiB and publishes a marker; B waits for it, mounts the image
# straight from the shared memory (by its own /dev/daxX.Y: the module resolves the range), checks
# every file against the host's manifest, runs a program from it, and answers; A waits.
attach
dev=$(ns_dev devdax)
[ -n "$dev" ] || fail "no devdax namespace visible"
wait_dev "$dev"
name=${dev#/dev/}
case $ROLE in
A)
	daxio copyin "$dev" 0x200000 /in/image
	daxio write "$dev" 0x1000 "IMAGE:$NONCE"
	say "A: stamped a $(stat -c %s /in/image)-byte daxfs image at 2 MiB of $dev, waiting for B"
	daxio wait "$dev" 0x2000 "MOUNTED:$NONCE" 300
	say "A: B answered: $(daxio read "$dev" 0x2000 $((${#NONCE} + 40)) | tr -d .)"
	;;
B)
	daxio wait "$dev" 0x1000 "IMAGE:$NONCE" 300
	modprobe daxfs
	mkdir -p /mnt/shared
	mount -t daxfs -o ro,offset=$((0x200000)) "$dev" /mnt/shared ||
		fail "B: mount failed: $(dmesg | tail -2)"
	say "B: mounted the image from shared CXL memory: $(grep /mnt/shared /proc/mounts)"
	expect_tree /mnt/shared
	n=$(fscheck manifest /mnt/shared | wc -l)
	out=$(chroot /mnt/shared /bin/sh -c 'echo hello from the shared image')
	say "B: $n entries identical to the source; chroot: $out"
	umount /mnt/shared
	daxio write "$dev" 0x2000 "MOUNTED:$NONCE:$n-entries-identical"
	;;
*) fail "ROLE must be A or B" ;;
esac
