# Scenario (scenarios/containers.sh) in the systemd guest (run --systemd): containers from one
# daxfs image of a Debian minbase root (mmdebstrap + umoci + `daxpool build --oci`) in a pool,
# started with systemd-nspawn over overlayfs, each with its own tmpfs upper layer
# (guest/containers.sh), and what they cost in page cache (docs/containers.md).
# Every container runs python3 from the image: guest/ctr_read.py reads every file in $READ
# (BYTES in all), then stays running; it also writes its host name to /etc/ctr-name first.
#   ROLE=one: create + load + mount the image; a copy of it on ext4 on a RAM disk (brd). For each
#     N in $NS, cold page cache (drop_caches), N containers at once over daxfs, then over ext4:
#     page-cache growth (Cached + Buffers - Shmem: the uppers are tmpfs, Shmem) with all N
#     running. daxfs: < BYTES/8 for every N; ext4: >= 80 % of BYTES for every N (the daxfs check
#     fails there). Each container's /etc/ctr-name is in its own upper layer only. With N
#     containers running on the one daxfs mount, `daxpool status --json`: mounted_hosts 1,
#     private_copies_size = the image's size, saved_size 0. RAM per additional container printed.
#     TMPFS_COPY=1 (bench/containers.sh): also a copy on tmpfs (a host's own copy held in RAM;
#     what the copy costs printed) and each N over it too, after ext4; nothing asserted of it.
#   ROLE=A / B: two hosts at once on one memory (signals through /out). A creates the pool,
#     loads and mounts the image; B attaches until it finds the pool and mounts the image from
#     the same memory. Each starts $NS containers over its mount; while all run on both hosts:
#     page-cache growth < BYTES/8 on each, and `status --json` on each: mounted_hosts 2,
#     private_copies_size 2 x size, saved_size = size (the image's and the total).
# Env: ROLE, NS (container counts), TMPFS_COPY, READ (files and folders each container reads), IMGSIZE (the image's
# bytes, from the host), PEER, TIMEOUT (seconds a host waits for the other).
. /in/containers.sh
NS=${NS:-1 4 16}
READ=${READ:-/usr/lib/python3.11 /usr/bin/python3.11}
TIMEOUT=${TIMEOUT:-300}
TMPFS_COPY=${TMPFS_COPY:-}
[ "$CTR_RUNTIME" = nspawn ] || fail "no systemd-nspawn in this root (runtime '$CTR_RUNTIME'): systemd-container missing from systemd/packages?"
echo "runtime: $(systemd-nspawn --version | head -1)"
CMD="cat /proc/sys/kernel/hostname > /etc/ctr-name && exec python3 /ctr_read.py $READ"
errors=0
check() { # check WHAT CONDITION...: count a failed check, go on
	what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; errors=$((errors + 1)); fi
}
lt() { [ "$1" -lt "$2" ]; }
ge() { [ "$1" -ge "$2" ]; }
# check_status HOSTS: `daxpool status --json` of the pool counts HOSTS hosts mounting image ctr.
check_status() {
	daxpool status --pool ctr --json >/tmp/st.json
	daxpool status --pool ctr | grep -e "image 'ctr'" -e "memory saved"
	check "status: ctr mounted_hosts = $1" [ "$(img_field /tmp/st.json ctr mounted_hosts)" = "$1" ]
	check "status: ctr size = $IMGSIZE" [ "$(img_field /tmp/st.json ctr size)" = "$IMGSIZE" ]
	check "status: ctr private_copies_size = $1 x size" \
		[ "$(img_field /tmp/st.json ctr private_copies_size)" = $(($1 * IMGSIZE)) ]
	check "status: ctr saved_size = $(($1 - 1)) x size" \
		[ "$(img_field /tmp/st.json ctr saved_size)" = $((($1 - 1) * IMGSIZE)) ]
	check "status: saved_size (all images) = $(($1 - 1)) x size" \
		[ "$(jsonget saved_size /tmp/st.json)" = $((($1 - 1) * IMGSIZE)) ]
}
used_kib() { awk '/^MemTotal:/ { t = $2 } /^MemFree:/ { f = $2 } END { print t - f }' /proc/meminfo; }

# round KIND LOWER N [HOOK]: N containers over LOWER from a cold page cache; HOOK runs while all
# of them run. Appends "KIND N BYTES GROWTH_KIB USED_KIB SECS" to /tmp/results.
round() {
	kind=$1 lower=$2 n=$3 hook=${4:-}
	names=$(ctr_names "$kind-" "$n")
	sync
	echo 3 >/proc/sys/vm/drop_caches
	p0=$(ctr_pagecache) u0=$(used_kib) t0=$(date +%s)
	ctr_start_n "$n" "$kind-" "$lower" "$CMD" /in/ctr_read.py || fail "$kind: starting $n containers failed"
	# shellcheck disable=SC2086
	ctr_wait_file ctr-ready "$TIMEOUT" $names || fail "$kind: not all $n containers became ready"
	secs=$(($(date +%s) - t0))
	p1=$(ctr_pagecache) u1=$(used_kib)
	ctr_mem "$kind n=$n running"
	bytes=
	for c in $names; do
		read -r b f <"$CTR_DIR/$c/root/ctr-ready"
		[ -z "$bytes" ] || [ "$b" = "$bytes" ] || fail "$kind: $c read $b bytes, another container $bytes"
		bytes=$b
		# Its write went to its own upper layer, and nowhere else.
		[ "$(cat "$CTR_DIR/$c/upper/etc/ctr-name" 2>/dev/null)" = "$c" ] ||
			fail "$kind: $c's /etc/ctr-name is not '$c' in its upper layer"
	done
	[ ! -e "$lower/etc/ctr-name" ] || fail "$kind: a container's write reached the lower layer"
	echo "$kind: $n containers, each read $bytes bytes in $f files; all running after $secs s"
	[ -z "$hook" ] || $hook
	# shellcheck disable=SC2086
	ctr_stop $names
	echo "$kind $n $bytes $((p1 - p0)) $((u1 - u0)) $secs" >>/tmp/results
}

# daxfs_limit / ext4_floor BYTES: the growth (KiB) daxfs must stay under, and ext4 reach.
daxfs_limit() { echo $(($1 / 1024 / 8)); }
ext4_floor() { echo $(($1 * 8 / 10 / 1024)); }

pool_up() { # create the pool, load the image (A, one)
	say "pool 'ctr', image $(stat -c %s /in/ctr.daxfs) bytes"
	daxpool create --size 256M --name ctr --mode devdax -q
	t=$(date +%s)
	daxpool load /in/ctr.daxfs --pool ctr --name ctr --no-progress -q
	echo "load: $(($(date +%s) - t)) s"
	rm /in/ctr.daxfs
}
mount_ctr() {
	mkdir -p /srv/ctr
	daxpool mount ctr /srv/ctr --pool ctr
	grep " /srv/ctr " /proc/mounts
	[ -x /srv/ctr/usr/bin/python3 ] || fail "no /usr/bin/python3 in the image"
}
rm -f /tmp/results

case $ROLE in
one)
	pool_up
	mount_ctr
	say "the same root on ext4 on a RAM disk (brd), the page-cache file system to compare"
	modprobe brd rd_nr=1 rd_size=$((256 * 1024))
	mkfs.ext4 -q /dev/ram0
	mkdir -p /mnt/ext4
	mount -t ext4 /dev/ram0 /mnt/ext4
	t=$(date +%s)
	cp -a /srv/ctr/. /mnt/ext4/
	sync
	echo "copied in $(($(date +%s) - t)) s: $(du -sm /mnt/ext4 | cut -f1) MiB"
	expect_eq "entries in the ext4 copy" "$(find /mnt/ext4 -path /mnt/ext4/lost+found -prune -o -print | wc -l)" \
		"$(find /srv/ctr | wc -l)"
	if [ -n "$TMPFS_COPY" ]; then
		say "the same root copied to tmpfs: a host's own copy held in RAM (not asserted)"
		mkdir -p /mnt/tmpfs
		mount -t tmpfs -o size=512m,mode=0755 ctr-copy /mnt/tmpfs
		# From a cold cache, and dropped again after: only what the copy keeps in RAM counts.
		sync
		echo 3 >/proc/sys/vm/drop_caches
		u0=$(used_kib)
		cp -a /srv/ctr/. /mnt/tmpfs/
		sync
		echo 3 >/proc/sys/vm/drop_caches
		echo "result: tmpfs copy size=$(du -sk /mnt/tmpfs | cut -f1) KiB used_growth=$(($(used_kib) - u0)) KiB"
	fi
	for n in $NS; do
		say "$n containers over daxfs"
		hook=
		[ "$n" != "${NS##* }" ] || hook="check_status 1"
		round daxfs /srv/ctr "$n" "$hook"
		say "$n containers over ext4"
		round ext4 /mnt/ext4 "$n"
		[ -z "$TMPFS_COPY" ] || { say "$n containers over the tmpfs copy"; round tmpfs /mnt/tmpfs "$n"; }
	done
	say "page cache with all containers running (from a cold cache): < 1/8 of the bytes read on daxfs, >= 80 % on ext4"
	while read -r kind n bytes grow used secs; do
		echo "result: $kind n=$n read=$((bytes / 1024)) KiB pagecache_growth=$grow KiB used_growth=$used KiB start=$secs s"
		case $kind in
		daxfs) check "daxfs, $n containers: page cache grew $grow KiB < $(daxfs_limit "$bytes") KiB" lt "$grow" "$(daxfs_limit "$bytes")" ;;
		ext4) check "ext4, $n containers: page cache grew $grow KiB >= $(ext4_floor "$bytes") KiB" ge "$grow" "$(ext4_floor "$bytes")" ;;
		esac
	done </tmp/results
	# RAM per additional container: the slope between the smallest and largest N.
	first=${NS%% *} last=${NS##* }
	if [ "$first" != "$last" ]; then
		for kind in daxfs ext4 ${TMPFS_COPY:+tmpfs}; do
			awk -v k="$kind" -v a="$first" -v b="$last" '
				$1 == k && $2 == a { pa = $4; ua = $5 } $1 == k && $2 == b { pb = $4; ub = $5 }
				END { printf "per additional container (%s, %d -> %d): page cache %+.0f KiB, used RAM %+.0f KiB; first container: page cache %d KiB\n",
					k, a, b, (pb - pa) / (b - a), (ub - ua) / (b - a), pa }' /tmp/results
		done
	fi
	umount /mnt/ext4
	[ -z "$TMPFS_COPY" ] || umount /mnt/tmpfs
	daxpool umount /srv/ctr
	;;
A | B)
	if [ "$ROLE" = A ]; then
		pool_up
		touch /out/loaded
	else
		say "B: attach until A's pool and image are there"
		t0=$(cut -d. -f1 /proc/uptime)
		until [ -e /out/loaded ] && daxpool attach -q >/dev/null 2>&1 && daxpool list --pool ctr --json >/tmp/l.json 2>/dev/null &&
			[ -n "$(img_field /tmp/l.json ctr size)" ]; do
			[ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt "$TIMEOUT" ] || fail "B: no pool 'ctr' with image 'ctr' after $TIMEOUT s"
			sleep 1
		done
	fi
	mount_ctr
	# wait_peer WHAT: until the other host says WHAT through /out.
	wait_peer() {
		t0=$(cut -d. -f1 /proc/uptime)
		until [ -e "/out/$PEER.$1" ]; do
			[ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt "$TIMEOUT" ] || fail "$ROLE: $PEER not $1 after $TIMEOUT s"
			sleep 0.5
		done
	}
	both_running() {
		touch "/out/$(hostname).running"
		wait_peer running
		check_status 2
		touch "/out/$(hostname).checked"
		# The other host checks while these run: stop only once it has.
		wait_peer checked
	}
	n=${NS##* }
	say "$ROLE: $n containers over daxfs, while $PEER runs its own"
	round daxfs /srv/ctr "$n" both_running
	read -r kind n bytes grow used secs </tmp/results
	echo "result: $(hostname) daxfs n=$n read=$((bytes / 1024)) KiB pagecache_growth=$grow KiB used_growth=$used KiB start=$secs s"
	check "$(hostname), $n containers: page cache grew $grow KiB < $(daxfs_limit "$bytes") KiB" lt "$grow" "$(daxfs_limit "$bytes")"
	daxpool umount /srv/ctr
	;;
*) fail "ROLE must be one, A or B" ;;
esac
[ "$errors" = 0 ] || fail "$errors check(s) failed (FAIL lines above)"
echo "containers: ok"
