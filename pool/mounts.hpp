// SPDX-License-Identifier: GPL-2.0-only
// The daxfs mounts of this host (from /proc/self/mountinfo), and which pool device and image
// offset each one reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pool/backend.hpp"
#include "pool/pool.hpp"
#include "pool/provision.hpp"

namespace daxpool::pool {

class HostSession;

struct DaxfsMount {
	std::string mountpoint; // unescaped
	std::string source;     // "/dev/pmem0", "/dev/dax0.0", "none"
	uint64_t phys = 0, phys_size = 0; // phys= / size= (0: not given)
	uint64_t offset = 0;
};

// MOUNTINFO: /proc/self/mountinfo (tests give another file of that format).
std::vector<DaxfsMount> daxfs_mounts(const std::string &mountinfo = "/proc/self/mountinfo");
// The daxfs mounts of every mount namespace of this host (one process's mountinfo per
// namespace: a container's mounts count too). Mount points are as that process sees them.
std::vector<DaxfsMount> daxfs_mounts_all_namespaces();
// The mounts that read device D: its block device or device node, or a physical range inside it.
std::vector<DaxfsMount> daxfs_mounts_of(const DevicePool &d);
std::vector<DaxfsMount> daxfs_mounts_of(const DevicePool &d, const std::vector<DaxfsMount> &mounts);

struct MountOptions {
	bool suid = false;   // default nosuid
	bool dev = false;    // default nodev
	unsigned long flags = 0; // more MS_* flags (MS_NOEXEC, MS_NOATIME, ...): mount.daxfs's -o
	// The image already mounted at DIR (mount -a run again: fstab's source never matches
	// mountinfo's device) is success, MountResult::already, instead of a refusal.
	bool ok_if_mounted = false;
};
struct MountResult {
	DevicePool device;
	ImageInfo image;
	std::string mountpoint, source, data; // what mount(2) was given
	bool agent = false; // a `daxpool agent` beats for this host in the pool
	bool already = false; // ok_if_mounted: it was mounted there already; nothing was done
};

// The device pool REF names (--region N, a pool name/UUID, or a device path); Error for a
// file-backed pool (daxfs needs DAX memory).
DevicePool resolve_device_pool(const PoolRef &ref);
// The same, or nullopt for a file-backed pool (daxpool agent: nothing to reconcile there).
std::optional<DevicePool> device_pool_of(const PoolRef &ref);

// Mounts the sealed image NAME of the pool read-only at DIR with the daxfs module (loaded with
// modprobe if needed), from the device node at the image's offset. The mount is recorded in this
// host's slot first (docs/multihost.md): an unload racing the mount either sees the record or
// makes record_mount refuse.
MountResult mount_image(const PoolRef &ref, const std::string &name, const std::string &dir, const MountOptions &o);

// Unmounts the daxfs mount at DIR and removes its record from this host's slot; returns what it
// was. WARN: why the record could not be removed (the unmount itself succeeded).
// FLAGS: umount2's (MNT_DETACH, MNT_FORCE), from umount.daxfs.
DaxfsMount umount_image(const std::string &dir, std::string &warn, int flags = 0);

// daxpool agent, at each beat: removes the mount records of this host's slot (session S) in
// the pool on device D that no daxfs mount of this host backs any more (a plain `umount -i`, a
// crash between umount(2) and the record's removal), so that nothing blocks unload forever.
// Taken under this host's writer lock, which mount_image holds from the record to mount(2):
// when that lock is busy nothing is done (the next beat tries again). Returns one line per
// record removed ("image 3 at /mnt/x"). A lazily detached mount (umount -l) that is still in
// use is not in any mountinfo: its record is removed too (docs/multihost.md, "Mounts").
std::vector<std::string> reconcile_mounts(const DevicePool &d, HostSession &s);

struct AutomountPolicy;

// One image of daxpool mount --all / umount --all (mount_all.cpp).
struct AutoMount {
	enum Action { Mount, Mounted, Already, Skipped, Unmounted, NotMounted, Failed } action = Mount;
	std::string pool, image, path, message; // message: why skipped or failed, or a warning
	uint64_t offset = 0;
	const char *action_name() const;
};
// Mounts every sealed image of the pool REF (every pool on this host's devices when nullopt)
// that its automount record or POLICY (this host's settings) marks, at that path (created if
// missing), like mount_image; an image already mounted there is left as it is. One failure
// does not stop the others: each is in the result.
std::vector<AutoMount> mount_all(const std::optional<PoolRef> &ref, const AutomountPolicy &policy);
// Unmounts what mount_all would have mounted, where it is mounted (like umount_image).
std::vector<AutoMount> umount_all(const std::optional<PoolRef> &ref, const AutomountPolicy &policy);

} // namespace daxpool::pool
