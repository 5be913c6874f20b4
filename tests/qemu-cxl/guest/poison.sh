# Scenario (nvdimm-poison): bad blocks of an fsdax device under daxfs. The pmem driver keeps a
# list of bad blocks per namespace (/sys/block/pmemN/badblocks, writable: "SECTOR COUNT", 512-byte
# sectors from the namespace's first data byte, the same origin as its dax device's offsets) and
# its direct access refuses a range with one (-EHWPOISON). Inputs: /in/image, /in/ref/{x,y,z,w}
# (the files' bytes), /in/ref/sums (sha256sum of every other regular file of the tree).
#  1. a bad block in x before the mount: the mount succeeds, every other file is intact, read()
#     of x returns the bytes before the bad page then EIO, a mapping SIGBUSes (BUS_MCEERR_AR) on
#     that page only (its 2 MiB falls back to 4 KiB pages), clean pages map; the cache
#     invalidation of x's first use skips the bad page (after a real machine check it may be
#     gone from the direct map: a flush there would oops) and flushes every other page of x;
#  2. a bad block added in y after it was read and mapped: reads and new faults there fail;
#  4. MADV_HWPOISON on a mapped page of z: this process and another one mapping it get SIGBUS on
#     their next touch (from 6.10 this process at once too, BUS_MCEERR_AR during madvise), read()
#     fails there, the device lists the page as bad;
#  6. early kill: MADV_HWPOISON on a page of w that processes map, each at its own address: those
#     that asked for it (PR_MCE_KILL_EARLY) and whose page tables map the page get SIGBUS
#     BUS_MCEERR_AO at once, at their own address of the page also when their mapping starts at
#     another page of w (not one mapping other pages only, before or after it, nor one that never
#     touched the page, nor a private mapping with its own copy of it); with
#     daxfs.memory_failure_early_kill=1 the processes with the default policy too, never one that
#     opted out (PR_MCE_KILL_LATE); from 6.10 the caller gets BUS_MCEERR_AR at once, whatever
#     its policy; through a PMD (checked to be one), si_addr_lsb is 21; the failure's one log line
#     counts the signals;
#  3. a bad block in another copy's metadata, in a third copy's superblock: refused, one line;
#  5. MADV_HWPOISON when the device's table of bad blocks is full: the failure cannot be
#     recorded, so it is reported as not recovered (madvise fails with EIO), not as handled
#     while a fault would map the poisoned frame again.
OFF=4194304
provision fsdax >/dev/null
dev=$(ns_dev fsdax)
wait_dev "$dev"
bb=/sys/block/${dev#/dev/}/badblocks
[ -w "$bb" ] || fail "$bb is not writable"
[ -z "$(cat "$bb")" ] || fail "the namespace starts with bad blocks: $(cat "$bb")"
for o in $OFF $((32 << 20)) $((48 << 20)); do
	dd if=/in/image of="$dev" bs=1M seek=$o oflag=seek_bytes conv=fsync 2>/dev/null
done
modprobe daxfs
mkdir -p /mnt/d

# data_offset PATH: byte offset of the file's data in the image
data_offset() {
	daxpool inspect -j /in/image "$1" > /tmp/ino.json
	jsonget data_offset /tmp/ino.json
}
# kver_ge MAJOR MINOR: whether the running kernel is MAJOR.MINOR or later
kver_ge() {
	local v maj min
	v=$(uname -r)
	maj=${v%%.*}
	min=${v#*.}
	min=${min%%[!0-9]*}
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}
# What the caller of madvise(MADV_HWPOISON) gets during the call, as poisoncheck prints it (early
# E): from 6.10 madvise passes MF_ACTION_REQUIRED (with MF_COUNT_INCREASED | MF_SW_SIMULATED,
# which is all 6.1 passes), and the caller, mapping the page, gets SIGBUS BUS_MCEERR_AR at once at
# the page, whatever its policy, as the kernel's kill_proc() sends it; before 6.10 it is one more
# process, told early only as its policy says.
if kver_ge 6 10; then ar=1; self_ar="early SIGBUS BUS_MCEERR_AR at the page, lsb 12"; else ar=0; fi
# bad BYTE: mark bad the 512-byte sector 1 KiB into the page of the device holding BYTE (page
# aligned): a sector inside the page, not its first, makes the whole page bad
bad() {
	echo "$(($1 / 512 + 2)) 1" > "$bb"
	echo "bad block: sector $(($1 / 512 + 2)) (page at byte $1 of $dev)"
}
# others_intact: every regular file but x, y, z, w reads as in the source
others_intact() {
	(cd /mnt/d && sha256sum -c /in/ref/sums) > /tmp/sums.out 2>&1 ||
		{ grep -v ': OK$' /tmp/sums.out | head; fail "files other than x, y, z, w differ"; }
	echo "$(wc -l < /in/ref/sums) other files identical to the source"
}

say "1. a bad block in x's data before the mount"
xo=$(data_offset /x)
bad $((OFF + xo + 3 * 4096))
dmesg -c >/dev/null
mount -t daxfs -o ro,offset=$OFF "$dev" /mnt/d ||
	fail "the mount with a bad block in x's data failed: $(dmesg | tail -3)"
sd=/sys/fs/daxfs/$(awk '$5 == "/mnt/d" { print $3 }' /proc/self/mountinfo)
daxpool inspect -j /in/image > /tmp/img.json
meta_end=$((4096 + $(jsonget superblock.meta_size /tmp/img.json)))
expect_eq "invalidated at mount: the metadata" "$(cat "$sd/invalidated_bytes")" "$meta_end"
expect_eq "pages skipped at mount" "$(cat "$sd/invalidation_skipped_pages")" 0
xpages=$((($(stat -c %s /mnt/d/x) + 4095) / 4096 * 4096))
exec 8< /mnt/d/x	# x's first use: its extent is invalidated, but for the bad page
exec 8<&-
expect_eq "invalidated after x's first open: all its pages but the bad one" \
	"$(cat "$sd/invalidated_bytes")" "$((meta_end + xpages - 4096))"
expect_eq "pages skipped: x's bad page" "$(cat "$sd/invalidation_skipped_pages")" 1
echo "x's first open invalidated $((xpages - 4096)) bytes, skipped its bad page"
others_intact
cmp /mnt/d/y /in/ref/y && cmp /mnt/d/z /in/ref/z || fail "y or z differs"
expect_eq "read x from 0" "$(poisoncheck read /mnt/d/x /in/ref/x 0)" "12288 bytes equal, then EIO"
expect_eq "read x from inside the bad page" "$(poisoncheck read /mnt/d/x /in/ref/x 12300)" \
	"0 bytes equal, then EIO"
expect_eq "read x from the page after it" "$(poisoncheck read /mnt/d/x /in/ref/x 16384)" \
	"$(((4 << 20) - 16384)) bytes equal, then EOF"
got=$(poisoncheck touch /mnt/d/x 0 2 3 4 600 | tr '\n' ,)
expect_eq "mapped pages of x" "$got" "0 ok,2 ok,3 SIGBUS BUS_MCEERR_AR,4 ok,600 ok,"
echo "x: read stops at the bad page (EIO), its mapping SIGBUSes there only: $got"

say "2. a bad block added after the mount, in y (read and mapped before)"
cmp /mnt/d/y /in/ref/y || fail "y differs"
expect_eq "y mapped before" "$(poisoncheck touch /mnt/d/y 0 1 2 5 | tr '\n' ,)" "0 ok,1 ok,2 ok,5 ok,"
yo=$(data_offset /y)
bad $((OFF + yo + 4096))
expect_eq "read y" "$(poisoncheck read /mnt/d/y /in/ref/y 0)" "4096 bytes equal, then EIO"
got=$(poisoncheck touch /mnt/d/y 1 0 2 | tr '\n' ,)
expect_eq "mapped pages of y" "$got" "1 SIGBUS BUS_MCEERR_AR,0 ok,2 ok,"
echo "y: $got"

say "4. a memory failure (MADV_HWPOISON) on a page of z two processes map"
zo=$(dmesg -c >/dev/null; data_offset /z)
got=$(poisoncheck hwpoison /mnt/d/z 1 | tr '\n' ,)
dmesg | grep -iE 'daxfs|memory failure|MCE' || true
if [ $ar = 1 ]; then self=$self_ar; else self="early none"; fi
expect_eq "hwpoison" "$got" \
	"madvise ok,self: $self; then SIGBUS BUS_MCEERR_AR,other: SIGBUS BUS_MCEERR_AR,"
expect_eq "read z" "$(poisoncheck read /mnt/d/z /in/ref/z 0)" "4096 bytes equal, then EIO"
zs=$(((OFF + zo + 4096) / 512))
grep -q "^$zs 8\$" "$bb" || fail "the device does not list z's page (sector $zs, 8) as bad: $(cat "$bb")"
echo "z: $got; the page is in $bb"
others_intact

say "6. early kill: a memory failure on a page of w that several processes map"
# early_kills N: the log since the last dmesg -c has exactly one line of the failure counting
# early-kill signals (holder.c's), and it counts N.
early_kills() {
	local lines count
	lines=$(dmesg | grep -F 'early-kill signal(s) sent' || true)
	[ -n "$lines" ] && [ "$(echo "$lines" | wc -l)" = 1 ] ||
		fail "want one daxfs line counting early-kill signals, got: ${lines:-none}"
	case $lines in *daxfs:*) ;; *) fail "the line counting early-kill signals is not daxfs's: $lines" ;; esac
	count=$(echo "$lines" | sed -n 's/.*, \([0-9][0-9]*\) early-kill signal(s) sent.*/\1/p')
	expect_eq "early-kill signals counted" "$count" "$1"
}
# The caller (self) madvises; the children say what reached them before their next touch (see
# poisoncheck.c): only early and offset (asked for it, map and touched the page; offset maps w
# from page 1, so the page is its second) are told at once, and from 6.10 the caller (action
# required). past maps w from page 3.
cmp /mnt/d/w /in/ref/w || fail "w differs"
if [ $ar = 1 ]; then self=$self_ar; n=3; else self="early none"; n=2; fi
dmesg -c >/dev/null
got=$(poisoncheck earlykill /mnt/d/w 2)
dmesg | grep -iE 'daxfs|memory failure' || true
expect_eq "early kill, as each process asked" "$got" "madvise ok
self: $self; then SIGBUS BUS_MCEERR_AR
early: early SIGBUS BUS_MCEERR_AO at the page, lsb 12; then SIGBUS BUS_MCEERR_AR
excluded: early none; then ok
untouched: early none; then SIGBUS BUS_MCEERR_AR
late: early none; then SIGBUS BUS_MCEERR_AR
cow: early none; then its copy
optout: early none; then SIGBUS BUS_MCEERR_AR
offset: early SIGBUS BUS_MCEERR_AO at the page, lsb 12; then SIGBUS BUS_MCEERR_AR
past: early none; then ok"
early_kills $n
echo "w page 2: $n early kills (those that asked for it and map the page; from 6.10 the caller)"

# Every process as if it had asked (the module's mirror of vm.memory_failure_early_kill): late
# too, but not optout, which opted out (PR_MCE_KILL_LATE).
ek=/sys/module/daxfs/parameters/memory_failure_early_kill
expect_eq "memory_failure_early_kill by default" "$(cat "$ek")" N
# The caller: from 6.10 BUS_MCEERR_AR at once (action required), before 6.10 one more process
# with the default policy, so BUS_MCEERR_AO now. Four signals either way.
if [ $ar = 1 ]; then self=$self_ar; else self="early SIGBUS BUS_MCEERR_AO at the page, lsb 12"; fi
n=4
trap 'echo 0 > "$ek"' EXIT
echo 1 > "$ek"
dmesg -c >/dev/null
got=$(poisoncheck earlykill /mnt/d/w 5)
echo 0 > "$ek"
trap - EXIT
dmesg | grep -iE 'daxfs|memory failure' || true
expect_eq "early kill for every process" "$got" "madvise ok
self: $self; then SIGBUS BUS_MCEERR_AR
early: early SIGBUS BUS_MCEERR_AO at the page, lsb 12; then SIGBUS BUS_MCEERR_AR
excluded: early none; then ok
untouched: early none; then SIGBUS BUS_MCEERR_AR
late: early SIGBUS BUS_MCEERR_AO at the page, lsb 12; then SIGBUS BUS_MCEERR_AR
cow: early none; then its copy
optout: early none; then SIGBUS BUS_MCEERR_AR
offset: early SIGBUS BUS_MCEERR_AO at the page, lsb 12; then SIGBUS BUS_MCEERR_AR
past: early none; then ok"
early_kills $n
echo "w page 5, memory_failure_early_kill=1: $n early kills (not optout)"

# A page mapped by a PMD: x's second 2 MiB (its first holds step 1's bad page), in a child that
# maps x 2 MiB-aligned and checks that its 2 MiB is one PMD (another page of it does not fault;
# else poisoncheck fails: "no PMD"): the signal says so (si_addr_lsb 21, PMD_SHIFT), si_addr is
# the page.
# The caller maps x at an address that is not 2 MiB-aligned: its page is a PTE's (lsb 12).
if [ $ar = 1 ]; then self=$self_ar; n=2; else self="early none"; n=1; fi
dmesg -c >/dev/null
got=$(poisoncheck earlykill-pmd /mnt/d/x 520)
dmesg | grep -iE 'daxfs|memory failure' || true
expect_eq "early kill through a PMD" "$got" "madvise ok
self: $self; then SIGBUS BUS_MCEERR_AR
huge: early SIGBUS BUS_MCEERR_AO at the page, lsb 21; then SIGBUS BUS_MCEERR_AR"
early_kills $n
echo "x page 520, mapped by a PMD: early kill with si_addr_lsb 21 ($n signal(s) in all)"
others_intact
umount /mnt/d

say "the image still mounts with bad blocks in its data"
mount -t daxfs -o ro,offset=$OFF "$dev" /mnt/d || fail "remount failed: $(dmesg | tail -3)"
others_intact
umount /mnt/d

say "3. bad blocks in the metadata and in the superblock's page: refused"
# refused OFFSET WHAT: the mount fails with EIO and one daxfs line containing WHAT
refused() {
	dmesg -c >/dev/null
	if mount -t daxfs -o ro,offset=$1 "$dev" /mnt/d 2>/tmp/err; then
		umount /mnt/d
		fail "offset $1: mounted with a bad block in its metadata"
	fi
	grep -q "Input/output error" /tmp/err || fail "offset $1: want EIO, got: $(cat /tmp/err)"
	msg=$(dmesg | grep daxfs || true)
	[ "$(echo "$msg" | grep -c daxfs)" = 1 ] || fail "offset $1: want one daxfs line, got: $msg"
	case $msg in *"$2"*) ;; *) fail "offset $1: the log line does not say '$2': $msg" ;; esac
	echo "offset $1: $(cat /tmp/err); ${msg#*] }"
}
bad $(((32 << 20) + 4096))
refused $((32 << 20)) "bad block or memory error in the image's metadata"
bad $((48 << 20))
refused $((48 << 20)) "bad block in the image's superblock"

say "5. a memory failure that cannot be recorded (the device's table of bad blocks is full)"
# Single sectors two apart (never merged) past the images, until the table refuses more.
s=$(((128 << 20) / 512))
n=0
while [ $n -lt 2000 ] && echo "$((s + 2 * n)) 1" > "$bb" 2>/dev/null; do n=$((n + 1)); done
[ $n -lt 2000 ] || fail "the table of bad blocks never filled up"
echo "the table of bad blocks is full after $n more ranges"
mount -t daxfs -o ro,offset=$OFF "$dev" /mnt/d || fail "remount failed: $(dmesg | tail -3)"
dmesg -c >/dev/null
got=$(poisoncheck hwpoison /mnt/d/x 700 | tr '\n' ,)
dmesg | grep -iE 'daxfs|memory failure' || true
case $got in
"madvise: Input/output error,"*) ;;
*) fail "a memory failure daxfs could not record was reported as handled: $got" ;;
esac
dmesg | grep -q "cannot record it in the device's bad blocks" ||
	fail "no daxfs line saying the failure could not be recorded"
echo "x page 700: $got"
umount /mnt/d
