# containers.sh: containers over one read-only root file system (a daxfs mount of a container
# image, or any directory), each with its own writable overlayfs upper layer on its own tmpfs, and
# what they cost in page cache. Functions only, no checks: sourced (`. containers.sh`) by the
# nvdimm-containers scenarios (guest/containers-test.sh) and usable from a demo. POSIX sh (dash,
# busybox ash).
#
#   ctr_start NAME LOWER CMD [FILE...]   one container, in the background: root = overlayfs
#                                        (lowerdir LOWER, upper and work on a tmpfs of its own),
#                                        FILEs copied into its / (its upper layer), then
#                                        `/bin/sh -c CMD` from the image runs in it
#   ctr_start_n N PREFIX LOWER CMD [FILE...]   containers PREFIX1 .. PREFIXN at once
#   ctr_wait_file FILE SECS NAME...      until every container NAME has FILE in its root
#   ctr_stop NAME...                     /ctr-stop appears in each (CMD should end on it); what
#                                        still runs after CTR_STOP_WAIT s is killed (0: at
#                                        once, quietly, as `docker stop -t 0`); unmounted
#   ctr_names PREFIX N                   PREFIX1 .. PREFIXN
#   ctr_pagecache                        KiB of page cache of file systems: Cached + Buffers -
#                                        Shmem (/proc/meminfo; tmpfs, the uppers included, is
#                                        Shmem: what the containers write is not counted)
#   ctr_mem LABEL                        one line: host, LABEL, page cache, Shmem, used RAM (KiB)
#
# The runtime (CTR_RUNTIME, default: the first found): `nspawn`, systemd-nspawn (package
# systemd-container): its own mount, PID, IPC and UTS namespaces, /dev, /proc, /sys, the
# container's name as its host name, not registered with systemd-machined; or `chroot`, the
# fallback where there is no systemd (the busybox guests): unshare of the same namespaces, /proc
# mounted, chroot. CTR_DIR: the containers' state (default /run/ctr): DIR/NAME/{upper,work,root}
# on NAME's tmpfs (CTR_UPPER_SIZE, default 64m), pid (the runtime's), log (CMD's output).

CTR_DIR=${CTR_DIR:-/run/ctr}
CTR_STOP_WAIT=${CTR_STOP_WAIT:-20}
if [ -z "${CTR_RUNTIME:-}" ]; then
	if command -v systemd-nspawn >/dev/null 2>&1; then CTR_RUNTIME=nspawn; else CTR_RUNTIME=chroot; fi
fi

ctr_names() {
	_i=1
	while [ "$_i" -le "$2" ]; do echo "$1$_i"; _i=$((_i + 1)); done
}

ctr_start() {
	_n=$1 _lower=$2 _cmd=$3
	shift 3
	_d=$CTR_DIR/$_n
	mkdir -p "$_d"
	mount -t tmpfs -o "size=${CTR_UPPER_SIZE:-64m},mode=0755" "ctr-$_n" "$_d" || return 1
	mkdir "$_d/upper" "$_d/work" "$_d/root"
	mount -t overlay -o "lowerdir=$_lower,upperdir=$_d/upper,workdir=$_d/work" "ctr-$_n" "$_d/root" || return 1
	for _f in "$@"; do cp "$_f" "$_d/root/" || return 1; done
	case $CTR_RUNTIME in
	nspawn)
		# --pipe: the command's stdio as given (no pty); --as-pid2: a stub init is PID 1, so
		# the shell gets signals as any process does. No network, journal, resolv.conf or
		# time zone set-up: nothing but the command runs, nothing else is written to the root.
		systemd-nspawn --quiet --pipe --as-pid2 --register=no --settings=no --link-journal=no \
			--resolv-conf=off --timezone=off --private-network --machine="$_n" \
			--directory="$_d/root" /bin/sh -c "$_cmd" </dev/null >"$_d/log" 2>&1 &
		;;
	chroot)
		unshare --mount --pid --uts --ipc --fork chroot "$_d/root" /bin/sh -c \
			"mount -t proc proc /proc; hostname $_n; $_cmd" </dev/null >"$_d/log" 2>&1 &
		;;
	*) echo "ctr_start: unknown CTR_RUNTIME '$CTR_RUNTIME' (nspawn, chroot)" >&2; return 1 ;;
	esac
	echo $! >"$_d/pid"
}

ctr_start_n() {
	_cn=$1 _cp=$2
	shift 2
	for _c in $(ctr_names "$_cp" "$_cn"); do ctr_start "$_c" "$@" || return 1; done
}

ctr_wait_file() {
	_wf=$1 _ws=$2
	shift 2
	_wt=0
	for _c in "$@"; do
		until [ -e "$CTR_DIR/$_c/root/$_wf" ]; do
			if ! kill -0 "$(cat "$CTR_DIR/$_c/pid")" 2>/dev/null; then
				echo "ctr_wait_file: container $_c ended before /$_wf appeared; its output:" >&2
				sed 's/^/  /' "$CTR_DIR/$_c/log" >&2
				return 1
			fi
			if [ "$_wt" -ge $((_ws * 5)) ]; then
				echo "ctr_wait_file: no /$_wf in container $_c after $_ws s" >&2
				return 1
			fi
			sleep 0.2
			_wt=$((_wt + 1))
		done
	done
}

ctr_stop() {
	for _c in "$@"; do : >"$CTR_DIR/$_c/root/ctr-stop" 2>/dev/null || true; done
	for _c in "$@"; do
		_p=$(cat "$CTR_DIR/$_c/pid" 2>/dev/null) || continue
		_wt=0
		while kill -0 "$_p" 2>/dev/null && [ "$_wt" -lt $((CTR_STOP_WAIT * 5)) ]; do
			sleep 0.2
			_wt=$((_wt + 1))
		done
		# systemd-nspawn ends its container (SIGKILL to all of it) on SIGTERM; unshare's
		# child is reached through its PID namespace's end.
		kill "$_p" 2>/dev/null && [ "$CTR_STOP_WAIT" -gt 0 ] && echo "ctr_stop: $_c did not end on /ctr-stop: killed" >&2
		wait "$_p" 2>/dev/null || true
	done
	for _c in "$@"; do
		umount "$CTR_DIR/$_c/root" 2>/dev/null || umount -l "$CTR_DIR/$_c/root"
		umount "$CTR_DIR/$_c"
		rmdir "$CTR_DIR/$_c"
	done
}

ctr_pagecache() {
	awk '/^Cached:/ { c = $2 } /^Buffers:/ { b = $2 } /^Shmem:/ { s = $2 } END { print c + b - s }' /proc/meminfo
}

ctr_mem() {
	awk -v host="$(hostname)" -v label="$1" '
		{ v[substr($1, 1, length($1) - 1)] = $2 }
		END { printf "mem: host=%s %s pagecache_kib=%d shmem_kib=%d used_kib=%d\n", host, label,
			v["Cached"] + v["Buffers"] - v["Shmem"], v["Shmem"], v["MemTotal"] - v["MemFree"] }' /proc/meminfo
}
