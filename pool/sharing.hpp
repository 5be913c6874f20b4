// SPDX-License-Identifier: GPL-2.0-only
// What sharing one copy saves (docs/multihost.md, "Memory saved"): per sealed image, the
// distinct live hosts that have it mounted, and the bytes that a private copy on each of them
// would cost beyond the one shared copy in the pool. Computed from the catalog and the host
// table as a Watch judged it; nothing is read from any host's /proc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pool/hosts.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

struct ImageSharing {
	uint64_t id = 0;
	std::string name;
	uint64_t size = 0;                  // the image's size (ImageInfo::image_size)
	std::vector<std::string> hostnames; // the counted hosts, in slot order
	// hosts counted: alive (beating or silent) with a MOUNTED record of this image id; a host
	// with several mounts of it counts once.
	uint32_t mounted_hosts() const { return static_cast<uint32_t>(hostnames.size()); }
	// mounted_hosts × size: what a private copy on every one of them would hold.
	uint64_t private_copies_size() const { return uint64_t(mounted_hosts()) * size; }
	// private_copies_size less the one shared copy; 0 when at most one host has it mounted.
	uint64_t saved_size() const { return mounted_hosts() > 1 ? uint64_t(mounted_hosts() - 1) * size : 0; }
};

// One entry per sealed image of `images`, in their order. Records in state PENDING (a mount
// under way or failed) and unreadable records (HostInfo::unknown_mounts) are not counted, nor
// hosts that expired or left.
std::vector<ImageSharing> image_sharing(const std::vector<ImageInfo> &images, const std::vector<HostInfo> &hosts);

// The sum of saved_size() over `s`.
uint64_t total_saved(const std::vector<ImageSharing> &s);

} // namespace daxpool::pool
