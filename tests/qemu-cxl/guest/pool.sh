# Scenario (three phases, see scenarios/pool.sh): provisioning through daxpool alone.
# Env: PHASE (create | attach | none), POOL_SIZE, MODE (devdax | fsdax).

# refused WHAT EXPECTED-TEXT CMD...: CMD must fail with a message containing EXPECTED-TEXT.
refused() {
	what=$1 want=$2
	shift 2
	if "$@" > /tmp/out 2>&1; then cat /tmp/out; fail "$what: succeeded, want a refusal"; fi
	grep -q -- "$want" /tmp/out || { cat /tmp/out; fail "$what: message lacks '$want'"; }
	echo "refused as expected ($what): $(head -1 /tmp/out)"
}
# j PATH: a value of the last `daxpool list --json` (in /tmp/list.json)
j() { jsonget "$1" /tmp/list.json; }
list() { daxpool list --json > /tmp/list.json; }
cxl=
[ -n "$(memdevs)" ] && cxl=1

case $PHASE in
none)
	refused "create without CXL or NVDIMM" "no CXL memory devices or NVDIMM regions found" \
		daxpool create --size 1G
	expect_eq "attach on a bare host" "$(daxpool attach)" "no daxpool pools found"
	daxpool list
	exit 0
	;;
create)
	list
	if [ -n "$cxl" ]; then
		expect_eq "memdevs" "$(j memdevs.#)" 2
		expect_eq "mem0 free" "$(j memdevs.0.pmem_free)" $((2 << 30))
		expect_eq "devices before create" "$(j devices.#)" 0
		refused "size not a multiple of 256 MiB" "nearest valid sizes: 256M or 512M" \
			daxpool create --size 300M
		refused "4G over one memdev" "has 2G of free pmem capacity" \
			daxpool create --size 4G --memdev mem0
		refused "more than there is" "not enough free CXL pmem capacity" daxpool create --size 8G
		refused "W=2 size rule" "multiple of 512M" daxpool create --size 768M -w 2
		refused "nvdimm backend on a CXL host" "no NVDIMM pmem region found" \
			daxpool create --size 1G -b nvdimm
		refused "unknown memdev" "no such CXL memdev" daxpool create --size 1G --memdev mem7
		refused "memdev given twice" "is given twice" daxpool create --size 1G --memdev mem0,mem0
	else
		refused "size not a multiple of the region alignment" "nearest valid sizes" \
			daxpool create --size 511M --mode "$MODE"
		refused "more than there is" "not enough free NVDIMM capacity" daxpool create --size 2G --mode "$MODE"
		# Refusals come before anything is written: the DIMM is still label-less (one raw namespace).
		ndctl list -N | grep -q '"mode":"raw"' || fail "a refused create changed the NVDIMM's labels"
	fi

	say "create --size $POOL_SIZE"
	daxpool create --size "$POOL_SIZE" --name demo --mode "$MODE" --json > /tmp/create.json
	cat /tmp/create.json
	expect_eq "created pool" "$(jsonget pool /tmp/create.json)" demo
	expect_eq "mode" "$(jsonget mode /tmp/create.json)" "$MODE"
	region=$(jsonget region /tmp/create.json)
	dev=$(jsonget device /tmp/create.json)
	if [ -n "$cxl" ]; then
		expect_eq "interleave ways" "$(jsonget interleave_ways /tmp/create.json)" 2
		case $(jsonget memdevs /tmp/create.json) in
		'["mem0","mem1"]' | '["mem1","mem0"]') ;;
		*) fail "memdevs of the region: $(jsonget memdevs /tmp/create.json)" ;;
		esac
		expect_eq "cxl region size" "$(cxl list -R | grep -o '"size":[0-9]*' | cut -d: -f2)" $((4 << 30))
		cxl list -R | grep -q '"interleave_ways":2' || fail "the region is not 2-way interleaved"
	fi
	ndctl list -N | grep -q '"map":"mem"' || fail "the namespace does not keep its page metadata in host RAM"
	uuid=$(jsonget pool_uuid /tmp/create.json)
	expect_eq "region form" "$(echo "$region" | grep -c '^region[0-9]*$')" 1
	expect_eq "chardev or blockdev" "$(jsonget chardev /tmp/create.json 2>/dev/null || jsonget blockdev /tmp/create.json)" "${dev#/dev/}"
	echo "$uuid" | grep -Eq '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' || fail "create --json: uuid '$uuid'"
	psize=$(jsonget pool_size /tmp/create.json)
	case $POOL_SIZE in *G) want=$((${POOL_SIZE%G} << 30)) ;; *M) want=$((${POOL_SIZE%M} << 20)) ;; esac
	# The pool is the device: the namespace less what its info block and alignment take.
	[ "$psize" -le "$want" ] && [ "$psize" -ge $((want - (16 << 20))) ] ||
		fail "create --json: pool_size $psize for --size $POOL_SIZE"
	list
	expect_eq "devices" "$(j devices.#)" 1
	expect_eq "pool in list" "$(j devices.0.pool)" demo
	expect_eq "device in list" "$(j devices.0.device)" "$dev"
	expect_eq "uuid in list" "$(j devices.0.pool_uuid)" "$uuid"
	expect_eq "pool_size in list" "$(j devices.0.pool_size)" "$psize"
	expect_eq "region in list" "$(j devices.0.region)" "$region"
	daxpool list --region "$region" --json > /tmp/list2.json
	expect_eq "uuid of --region $region" "$(jsonget uuid /tmp/list2.json)" "$uuid"
	expect_eq "size of --region $region" "$(jsonget size /tmp/list2.json)" "$psize"
	[ -z "$cxl" ] || expect_eq "mem0 free after create" "$(j memdevs.0.pmem_free)" 0

	say "a second pool on memory that holds one is refused"
	if [ -n "$cxl" ]; then
		refused "memdev busy" "is busy" daxpool create --size 1G --memdev mem0
	fi
	refused "destroy by an unknown name" "no pool 'nope' found" daxpool destroy --pool nope

	say "load --region $region"
	daxpool load /in/image --region "$region" --name img
	daxpool list --region "$region" --json > /tmp/list.json
	expect_eq "image sealed" "$(j images.0.name)" img
	expect_eq "image state" "$(j images.0.state)" sealed
	daxpool list --pool demo --json > /tmp/list2.json
	expect_eq "--pool demo is --region $region" "$(jsonget uuid /tmp/list2.json) $(jsonget images /tmp/list2.json)" \
		"$(j uuid) $(j images)"

	say "mount"
	mkdir -p /mnt/a
	daxpool mount img /mnt/a --region "$region"
	grep " /mnt/a daxfs " /proc/mounts
	grep " /mnt/a daxfs " /proc/mounts | grep -q "ro,nosuid,nodev" || fail "not mounted ro,nosuid,nodev"
	expect_tree /mnt/a
	refused "mount on a busy mount point" "already has a daxfs mount" daxpool mount img /mnt/a --region "$region"
	refused "mount an unknown image" "has no image 'nope'" daxpool mount nope /mnt/a --region "$region"
	refused "destroy while mounted" "mounted on this host" daxpool destroy --region "$region" --force
	refused "unload while mounted" "is mounted on this host at /mnt/a" daxpool unload img --region "$region"
	daxpool umount /mnt/a
	# --suid: the module's trusted option (setuid bits served), still nodev
	daxpool mount img /mnt/a --region "$region" --suid
	mo=,$(grep " /mnt/a daxfs " /proc/mounts | cut -d' ' -f4),
	case $mo in *,nosuid,*) fail "--suid mounted nosuid: $mo" ;; esac
	case $mo in *,nodev,*) ;; *) fail "--suid without --dev is not nodev: $mo" ;; esac
	case $mo in *,trusted,*) ;; *) fail "--suid did not pass trusted: $mo" ;; esac
	expect_tree /mnt/a
	daxpool umount /mnt/a
	refused "umount of a plain directory" "is not a daxfs mount" daxpool umount /mnt/a
	refused "destroy with an image, no --force" "holds 1 image" daxpool destroy --region "$region"
	daxpool fsck --region "$region"
	;;
attach)
	list
	if [ -n "$cxl" ]; then
		expect_eq "devices before attach" "$(j devices.#)" 0
	fi
	say "attach"
	daxpool attach
	list
	expect_eq "devices after attach" "$(j devices.#)" 1
	expect_eq "pool after attach" "$(j devices.0.pool)" demo
	region=$(j devices.0.region)
	[ -z "$cxl" ] || expect_eq "interleave after attach" "$(j devices.0.interleave_ways)" 2
	daxpool list --region "$region" --json > /tmp/list.json
	expect_eq "image after attach" "$(j images.0.name)" img
	mkdir -p /mnt/b
	daxpool mount img /mnt/b --pool demo
	expect_tree /mnt/b
	# The reboot took this machine's slot over; the mount is in it, seen by another process.
	daxpool status --pool demo --json --watch 0 > /tmp/st.json
	expect_eq "hosts in the pool" "$(jsonget hosts.# /tmp/st.json)" 1
	expect_eq "mounts recorded" "$(jsonget hosts.0.mounts.# /tmp/st.json)" 1
	if [ "$MODE" = fsdax ]; then
		mkdir -p /mnt/c
		refused "a second host on an fsdax pool" "serves one host only" \
			env DAXPOOL_MACHINE_ID=0123456789abcdef0123456789abcdef daxpool mount img /mnt/c --pool demo
	fi
	daxpool umount /mnt/b
	daxpool status --pool demo --json --watch 0 > /tmp/st.json
	expect_eq "mounts recorded after umount" "$(jsonget hosts.0.mounts.# /tmp/st.json)" 0
	say "unload, destroy"
	daxpool unload img --region "$region"
	daxpool list --region "$region" --json > /tmp/list.json
	expect_eq "images after unload" "$(j images.#)" 0
	# No systemd here: an agent started by hand keeps the devdax mapped while destroy removes
	# the namespace and region under it. It must end as a gone pool does (one line, status 3),
	# not die of the vanished mapping (SIGBUS). Deterministic: its interval is long (no beat
	# before the TERM), so the check it makes on SIGTERM, before leaving, is its first access
	# to the mapping after the device went: it faults there ("went away"), status 3.
	apid=
	if [ "$MODE" = devdax ]; then
		daxpool agent --region "$region" --interval 60000 --lease 180000 2>/tmp/agent.err &
		apid=$!
		for _ in $(seq 50); do grep -q "host slot" /tmp/agent.err && break; sleep 0.2; done
		grep -q "host slot" /tmp/agent.err || { cat /tmp/agent.err; fail "the agent started by hand did not beat"; }
	fi
	daxpool destroy --region "$region"
	if [ -n "$apid" ]; then
		kill -0 "$apid" 2>/dev/null || { cat /tmp/agent.err; fail "the agent started by hand ended before the TERM"; }
		kill -TERM "$apid"
		# At most 10 s: then it hangs (killed, failed).
		for _ in $(seq 50); do kill -0 "$apid" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$apid" 2>/dev/null; then
			kill -KILL "$apid"
			wait "$apid" || true
			cat /tmp/agent.err
			fail "the agent started by hand still runs 10 s after SIGTERM (killed)"
		fi
		rc=0
		wait "$apid" || rc=$?
		sed 's/^/agent: /' /tmp/agent.err
		expect_eq "status of an agent whose device destroy removed (SIGTERM after)" "$rc" 3
		grep -q "went away under the agent" /tmp/agent.err ||
			fail "the agent did not say its pool's memory went away"
	fi
	list
	expect_eq "devices after destroy" "$(j devices.#)" 0
	if [ -n "$cxl" ]; then
		expect_eq "mem0 free after destroy" "$(j memdevs.0.pmem_free)" $((2 << 30))
		expect_eq "regions after destroy" "$(cxl list -R | grep -c region || true)" 0
	fi
	expect_eq "namespaces after destroy" "$(ns_count "$MODE")" 0
	[ -n "$cxl" ] || exit 0

	say "create --device: pools on a region and namespaces made with cxl and ndctl"
	attach
	r=$(cxl list -R | grep -o '"region":"region[0-9]*"' | cut -d'"' -f4)
	refused "--device that is no namespace's" "is not an active devdax or fsdax namespace" \
		daxpool create --device /dev/null
	for m in devdax fsdax; do
		ndctl create-namespace -m "$m" --map=mem -s 512M >/dev/null || fail "create-namespace -m $m"
		d=$(ns_dev "$m")
		wait_dev "$d"
		refused "--device with --size" "is for provisioning" daxpool create --device "$d" --size 1G
		daxpool create --device "$d" -n "hand-$m" -j > /tmp/dev.json
		cat /tmp/dev.json
		expect_eq "create --device: pool" "$(jsonget pool /tmp/dev.json)" "hand-$m"
		expect_eq "create --device: mode" "$(jsonget mode /tmp/dev.json)" "$m"
		expect_eq "create --device: device" "$(jsonget device /tmp/dev.json)" "$d"
		refused "create --device over a pool" "holds pool 'hand-$m'" daxpool create --device "$d"
		# --force overrides other file systems' signatures, never a pool: only destroy checks
		# the other hosts' mounts.
		refused "create --device --force over a pool" "Destroy it first" daxpool create --device "$d" -f
		daxpool load /in/image -p "hand-$m" -n m -q
		daxpool list -p "hand-$m" -j > /tmp/hl.json
		expect_eq "image in the pool on $d" "$(jsonget images.0.name /tmp/hl.json)" m
		daxpool fsck -p "hand-$m"
	done
	# Torn down by hand as it was made.
	ndctl destroy-namespace -f all >/dev/null 2>&1
	cxl destroy-region -f "$r" >/dev/null 2>&1
	expect_eq "regions after the teardown" "$(cxl list -R | grep -c region || true)" 0

	say "a pool smaller than its memdevs: attach re-creates the region of the recorded size"
	daxpool create --size 1G --name small --force > /dev/null
	r=$(cxl list -R | grep -o '"region":"region[0-9]*"' | cut -d'"' -f4)
	cxl destroy-region -f "$r" >/dev/null 2>&1 # as at power-off: the labels stay in the memdevs
	expect_eq "regions after the teardown" "$(cxl list -R | grep -c region || true)" 0
	refused "create over memdevs whose labels hold a pool" "daxpool attach" daxpool create --size 1G
	expect_eq "regions after the refusal" "$(cxl list -R | grep -c region || true)" 0
	daxpool attach
	list
	expect_eq "pool after attach" "$(j devices.0.pool)" small
	expect_eq "region size after attach" "$(cxl list -R | grep -o '"size":[0-9]*' | cut -d: -f2)" $((1 << 30))
	expect_eq "capacity free after attach" $(($(j memdevs.0.pmem_free) + $(j memdevs.1.pmem_free))) $((3 << 30))
	daxpool destroy --pool small

	say "memory that still holds a pool is not overwritten without --force"
	# Torn down with the system tools, not daxpool: the pool stays in the memory.
	daxpool create --size 1G --name stale --force >/dev/null
	ndctl destroy-namespace -f all >/dev/null 2>&1
	r=$(cxl list -R | grep -o '"region":"region[0-9]*"' | cut -d'"' -f4)
	cxl destroy-region -f "$r" >/dev/null 2>&1
	refused "create over a stale pool" "holds a daxpool pool" daxpool create --size 1G
	expect_eq "regions after the refusal" "$(cxl list -R | grep -c region || true)" 0
	expect_eq "namespaces after the refusal" "$(ns_count devdax)" 0
	daxpool create --size 1G --name fresh --force
	daxpool destroy --pool fresh

	say "a device-dax instance in system-ram mode is refused"
	daxpool create --size 1G --name sr --force >/dev/null
	modprobe kmem
	daxctl reconfigure-device -m system-ram -f dax0.0 >/dev/null 2>&1
	expect_eq "driver" "$(basename "$(readlink /sys/bus/dax/devices/dax0.0/driver)")" kmem
	list
	expect_eq "listed as system-ram" "$(j devices.0.system_ram)" true
	refused "load into system-ram" "is in system-ram mode" daxpool load /in/manifest --region 0
	refused "destroy in system-ram" "is in system-ram mode" daxpool destroy --region 0
	;;
*) fail "unknown PHASE '$PHASE'" ;;
esac
