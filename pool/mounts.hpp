// SPDX-License-Identifier: GPL-2.0-only
// The daxfs mounts of this host (from /proc/self/mountinfo), and which pool device and image
// offset each one reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pool/backend.hpp"
#include "pool/pool.hpp"
#include "pool/provision.hpp"

namespace daxpool::pool {

struct DaxfsMount {
	std::string mountpoint; // unescaped
	std::string source;     // "/dev/pmem0", "/dev/dax0.0", "none"
	uint64_t phys = 0, phys_size = 0; // phys= / size= (0: not given)
	uint64_t offset = 0;
};

// MOUNTINFO: /proc/self/mountinfo (tests give another file of that format).
std::vector<DaxfsMount> daxfs_mounts(const std::string &mountinfo = "/proc/self/mountinfo");
// The mounts that read device D: its block device or device node, or a physical range inside it.
std::vector<DaxfsMount> daxfs_mounts_of(const DevicePool &d);
std::vector<DaxfsMount> daxfs_mounts_of(const DevicePool &d, const std::vector<DaxfsMount> &mounts);

struct MountOptions {
	bool suid = false;   // default nosuid
	bool dev = false;    // default nodev
};
struct MountResult {
	DevicePool device;
	ImageInfo image;
	std::string mountpoint, source, data; // what mount(2) was given
	bool agent = false; // a `daxpool agent` beats for this host in the pool
};

// The device pool REF names (--region N, a pool name/UUID, or a device path); Error for a
// file-backed pool (daxfs needs DAX memory).
DevicePool resolve_device_pool(const PoolRef &ref);

// Mounts the sealed image NAME of the pool read-only at DIR with the daxfs module (loaded with
// modprobe if needed), from the device node at the image's offset. The mount is recorded in this
// host's slot first (docs/multihost.md): an unload racing the mount either sees the record or
// makes record_mount refuse.
MountResult mount_image(const PoolRef &ref, const std::string &name, const std::string &dir, const MountOptions &o);

// Unmounts the daxfs mount at DIR and removes its record from this host's slot; returns what it
// was. WARN: why the record could not be removed (the unmount itself succeeded).
DaxfsMount umount_image(const std::string &dir, std::string &warn);

} // namespace daxpool::pool
