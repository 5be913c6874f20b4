# Two hosts booted at the same time on one CXL memory, through daxpool alone (ROLE=A or B).
# A: create the pool, load the image. B: attach until the pool appears (its labels are written
# by A while B runs), wait for the image to be sealed, mount it from the shared memory, compare
# every file with the source, run a program from it, unmount.
# Env: ROLE, SIZE (the pool), TIMEOUT (seconds B waits).
case $ROLE in
A)
	say "A: create --size $SIZE, load"
	daxpool create --size "$SIZE" --name shared
	daxpool load /in/image --pool shared --name rootfs
	daxpool list --pool shared
	;;
B)
	say "B: attach until A's pool appears"
	t0=$(cut -d. -f1 /proc/uptime)
	until daxpool attach --json > /tmp/attach.json 2>/tmp/attach.err &&
		[ "$(jsonget 0.pool /tmp/attach.json 2>/dev/null)" = shared ]; do
		[ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt "$TIMEOUT" ] ||
			{ cat /tmp/attach.err; fail "B: no pool after $TIMEOUT s"; }
		sleep 1
	done
	say "B: attached $(jsonget 0.device /tmp/attach.json) after $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	until daxpool list --pool shared --json > /tmp/l.json && [ "$(jsonget images.0.state /tmp/l.json 2>/dev/null)" = sealed ]; do
		[ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt "$TIMEOUT" ] || fail "B: no sealed image after $TIMEOUT s"
		sleep 1
	done
	mkdir -p /mnt/shared
	daxpool mount rootfs /mnt/shared --pool shared
	grep /mnt/shared /proc/mounts
	expect_tree /mnt/shared
	expect_eq "B: chroot" "$(chroot /mnt/shared /bin/sh -c 'echo ran from the shared image')" "ran from the shared image"
	daxpool umount /mnt/shared
	;;
*) fail "ROLE must be A or B" ;;
esac
