# Scenario (scenarios/boot-mount.sh): mount.daxfs / umount.daxfs under util-linux's mount(8),
# and the agent removing records of mounts that are gone.
UL=/opt/util-linux
[ -x $UL/mount ] || fail "no util-linux mount in the guest"
# As `meson install` lays them out: the helpers are the daxpool binary by another name.
ln -s /usr/bin/daxpool /sbin/mount.daxfs
ln -s /usr/bin/daxpool /sbin/umount.daxfs
mkdir -p /mnt/x /mnt/y /run/mount

# records: the mountpoints recorded for this host in pool 'shared', one per line. The records
# only: --watch 0 (no host here beats, so status would watch the heartbeats ~7 s a call).
records() {
	daxpool status --pool shared --json --watch 0 > /tmp/st.json
	n=$(jsonget hosts.# /tmp/st.json)
	i=0
	while [ "$i" -lt "$n" ]; do
		m=$(jsonget "hosts.$i.mounts.#" /tmp/st.json)
		k=0
		while [ "$k" -lt "$m" ]; do
			jsonget "hosts.$i.mounts.$k.mountpoint" /tmp/st.json
			k=$((k + 1))
		done
		i=$((i + 1))
	done
}
refused() {
	what=$1 want=$2
	shift 2
	if "$@" > /tmp/out 2>&1; then cat /tmp/out; fail "$what: succeeded, want a refusal"; fi
	grep -q -- "$want" /tmp/out || { cat /tmp/out; fail "$what: message lacks '$want'"; }
	echo "refused as expected ($what): $(head -1 /tmp/out)"
}

say "create pool 'shared', load rootfs"
daxpool create --size 512M --name shared --mode devdax --json > /tmp/create.json
cat /tmp/create.json
daxpool load /in/image --pool shared --name rootfs
expect_eq "no records before mounting" "$(records)" ""

say "mount -t daxfs shared/rootfs /mnt/x (util-linux -> /sbin/mount.daxfs)"
$UL/mount -t daxfs shared/rootfs /mnt/x
grep " /mnt/x daxfs " /proc/mounts || fail "/mnt/x is not a daxfs mount"
grep " /mnt/x daxfs " /proc/mounts | grep -q 'ro,nosuid,nodev' || fail "not mounted ro,nosuid,nodev"
expect_tree /mnt/x
expect_eq "recorded" "$(records)" "/mnt/x"
refused "unload while mounted" "mounted" daxpool unload rootfs --pool shared
refused "an image the pool lacks" "no image 'nosuch'" $UL/mount -t daxfs shared/nosuch /mnt/y
refused "an unknown option" "unknown option 'bogus'" $UL/mount -t daxfs -o bogus shared/rootfs /mnt/y
expect_eq "refusals recorded nothing" "$(records)" "/mnt/x"

say "umount /mnt/x (util-linux -> /sbin/umount.daxfs)"
$UL/umount /mnt/x
grep -q " /mnt/x " /proc/mounts && fail "/mnt/x still mounted"
expect_eq "record removed by umount.daxfs" "$(records)" ""

say "fstab: shared/rootfs /mnt/y daxfs ro,nofail 0 0; mount /mnt/y"
echo "shared/rootfs /mnt/y daxfs ro,nofail,noexec 0 0" > /etc/fstab
$UL/mount /mnt/y
grep " /mnt/y daxfs " /proc/mounts | grep -q noexec || fail "fstab's noexec not applied"
expect_tree /mnt/y
expect_eq "fstab mount recorded" "$(records)" "/mnt/y"
$UL/umount /mnt/y
expect_eq "fstab mount's record removed" "$(records)" ""

say "the pool named by udev's link: mount -t daxfs /dev/daxpool/shared/rootfs"
mkdir -p /dev/daxpool
ln -s "$(jsonget device /tmp/create.json)" /dev/daxpool/shared
$UL/mount -t daxfs /dev/daxpool/shared/rootfs /mnt/x
expect_eq "recorded through the link" "$(records)" "/mnt/x"
$UL/umount /mnt/x
expect_eq "record removed" "$(records)" ""

say "umount -i (no helper): the record stays until the agent's next beat"
daxpool mount rootfs /mnt/x --pool shared
$UL/mount -t daxfs shared/rootfs /mnt/y
expect_eq "two records" "$(records | sort | tr '\n' ' ')" "/mnt/x /mnt/y "
$UL/umount -i /mnt/x
grep -q " /mnt/x " /proc/mounts && fail "/mnt/x still mounted"
expect_eq "the stale record is still there" "$(records | sort | tr '\n' ' ')" "/mnt/x /mnt/y "
daxpool agent --pool shared --once > /tmp/agent.out 2>&1 || { cat /tmp/agent.out; fail "agent --once"; }
cat /tmp/agent.out
grep -q "removed the record of image .* at /mnt/x" /tmp/agent.out || fail "the agent did not say it removed /mnt/x"
expect_eq "the agent kept the live mount's record only" "$(records)" "/mnt/y"
refused "unload while /mnt/y is mounted" "mounted" daxpool unload rootfs --pool shared
$UL/umount -i /mnt/y
refused "unload with the stale /mnt/y record" "mounted" daxpool unload rootfs --pool shared
say "a running agent (heartbeat 300 ms) removes it at its next beat"
daxpool agent --pool shared --lease 900 > /tmp/agent2.out 2>&1 &
apid=$!
i=0
while [ -n "$(records)" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
kill $apid; wait $apid || true
cat /tmp/agent2.out
expect_eq "stale record removed by the running agent" "$(records)" ""

say "a bind mount keeps the image's record: umount of the original leaves it, the agent too"
mkdir -p /mnt/b
daxpool mount rootfs /mnt/x --pool shared
$UL/mount --bind /mnt/x /mnt/b
$UL/umount /mnt/x 2> /tmp/bind.err || { cat /tmp/bind.err; fail "umount /mnt/x"; }
cat /tmp/bind.err
grep -q "still mounted on this host where no other record covers it" /tmp/bind.err || fail "umount.daxfs did not say the record stays"
expect_eq "the record stays while the bind mount reads the image" "$(records)" "/mnt/x"
refused "unload while only a bind mount reads it" "mounted" daxpool unload rootfs --pool shared
daxpool agent --pool shared --once > /tmp/agent3.out 2>&1 || { cat /tmp/agent3.out; fail "agent --once"; }
expect_eq "the agent keeps it too" "$(records)" "/mnt/x"
$UL/umount /mnt/b
daxpool agent --pool shared --once > /tmp/agent3.out 2>&1 || { cat /tmp/agent3.out; fail "agent --once"; }
expect_eq "gone with the last mount of the image" "$(records)" ""

say "automount: load --automount /srv/auto/rootfs2; daxpool mount --all"
daxpool load /in/image --pool shared --name rootfs2 --automount /srv/auto/rootfs2 -q
daxpool automount rootfs /srv/auto/rootfs --pool shared
[ -d /srv/auto ] && fail "/srv/auto exists before mount --all"
daxpool mount --all --pool shared --json > /tmp/all.json || { cat /tmp/all.json; fail "mount --all"; }
cat /tmp/all.json
expect_eq "two images mounted" "$(jsonget '#' /tmp/all.json)" "2"
for d in /srv/auto/rootfs /srv/auto/rootfs2; do
	grep " $d daxfs " /proc/mounts | grep -q 'ro,nosuid,nodev' || fail "$d: not a ro,nosuid,nodev daxfs mount"
	expect_tree $d
done
expect_eq "both recorded" "$(records | sort | tr '\n' ' ')" "/srv/auto/rootfs /srv/auto/rootfs2 "
daxpool mount --all --pool shared > /tmp/again.out 2>&1 || { cat /tmp/again.out; fail "mount --all again"; }
grep -c "already mounted" /tmp/again.out | grep -qx 2 || { cat /tmp/again.out; fail "mount --all again: want two 'already mounted'"; }
expect_eq "no second records" "$(records | wc -l)" "2"
refused "unload of an automounted image" "mounted" daxpool unload rootfs2 --pool shared

say "umount --all: both unmounted, records removed"
daxpool umount --all --pool shared
grep -q " /srv/auto/" /proc/mounts && fail "an automount is still mounted"
expect_eq "records removed" "$(records)" ""

say "paths from the pool that this host will not mount on: outside the prefixes, through a symlink, not empty, writable by others"
daxpool unload rootfs2 --pool shared -q
ln -s /tmp /srv/link
mkdir -p /srv/full /srv/open && touch /srv/full/f && chmod 1777 /srv/open
for bad in "/etc/evil:not below this host's DAXPOOL_AUTOMOUNT_PREFIXES" "/srv/link/x:/srv/link is a symlink or not a directory" \
	"/srv/full:it is not empty" "/srv/open/x:/srv/open is not owned by root or is writable by others"; do
	path=${bad%%:*} want=${bad#*:}
	daxpool automount rootfs "$path" --pool shared -q
	refused "mount --all at $path" "$want" daxpool mount --all --pool shared
	grep -q " $path " /proc/mounts && fail "$path was mounted"
done
[ -e /etc/evil ] && fail "/etc/evil was created"
[ -e /tmp/x ] && fail "a directory was created through the symlink (/tmp/x)"
expect_eq "nothing recorded by the refusals" "$(records)" ""
daxpool automount rootfs /srv/auto/rootfs --pool shared -q
daxpool load /in/image --pool shared --name rootfs2 --automount /srv/auto/rootfs2 -q

say "this host's settings: DAXPOOL_AUTOMOUNT_SKIP, DAXPOOL_AUTOMOUNT_AT (daxpool.conf.d), DAXPOOL_AUTOMOUNT=no"
C=/tmp/conf
mkdir -p $C/daxpool.conf.d
echo 'DAXPOOL_AUTOMOUNT_SKIP="shared/rootfs"' > $C/daxpool.conf
echo 'DAXPOOL_AUTOMOUNT_AT="shared/rootfs2=/mnt/here"' > $C/daxpool.conf.d/50-host.conf
mkdir -p /mnt/here
DAXPOOL_CONF_DIR=$C daxpool mount --all --pool shared > /tmp/pol.out 2>&1 || { cat /tmp/pol.out; fail "mount --all with settings"; }
cat /tmp/pol.out
grep -q "not mounting shared/rootfs: DAXPOOL_AUTOMOUNT_SKIP matches it" /tmp/pol.out || fail "the skip was not reported"
expect_eq "only this host's path" "$(records)" "/mnt/here"
grep -q " /srv/auto/rootfs " /proc/mounts && fail "a skipped image was mounted"
DAXPOOL_CONF_DIR=$C daxpool umount --all --pool shared
expect_eq "unmounted by umount --all with the same settings" "$(records)" ""
DAXPOOL_AUTOMOUNT=no daxpool mount --all --pool shared 2>&1 | tee /tmp/no.out
expect_eq "DAXPOOL_AUTOMOUNT=no mounts nothing" "$(records)" ""
grep -q "DAXPOOL_AUTOMOUNT=no" /tmp/no.out || fail "DAXPOOL_AUTOMOUNT=no not reported"

say "mount --all reports a busy mount point and mounts the rest (status 1)"
mkdir -p /srv/auto/rootfs
daxpool mount rootfs /srv/auto/rootfs2 --pool shared
if daxpool mount --all --pool shared > /tmp/busy.out 2>&1; then cat /tmp/busy.out; fail "mount --all over another image's mount succeeded"; fi
cat /tmp/busy.out
grep -q "shared/rootfs2 at /srv/auto/rootfs2: /srv/auto/rootfs2 already has another daxfs mount" /tmp/busy.out || fail "no message for the occupied mount point"
grep " /srv/auto/rootfs daxfs " /proc/mounts > /dev/null || fail "the other image was not mounted"
daxpool umount /srv/auto/rootfs2
daxpool umount --all --pool shared
expect_eq "all records removed" "$(records)" ""
daxpool unload rootfs2 --pool shared
daxpool unload rootfs --pool shared
echo "boot-mount: ok"
