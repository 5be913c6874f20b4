// SPDX-License-Identifier: GPL-2.0-only
// What a file or device already holds, before create overwrites it: a daxpool pool, a daxfs
// image, or any filesystem / swap / RAID signature libblkid recognises (ext2/3/4, xfs, btrfs,
// erofs, swap, ...).
#pragma once

#include <string>

namespace daxpool::pool {

// A description such as "a daxpool pool", "an ext4 filesystem", or "" when nothing is
// recognised. Throws Error when the path cannot be read.
std::string probe_signature(const std::string &path);

} // namespace daxpool::pool
