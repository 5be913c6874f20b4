// SPDX-License-Identifier: GPL-2.0-only
// Layout: inode numbering, metadata serialisation and extent placement of a Tree
// (docs/format.md). Pure computation, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lib/daxfs/tree.hpp"

namespace daxpool::daxfs {

struct LayoutOptions {
	std::optional<int64_t> mtime;             // every inode's mtime and the build time
	std::optional<int64_t> source_date_epoch; // build time; newer mtimes clamped
	bool all_root = false;
};

struct Layout {
	std::vector<uint32_t> order;   // order[ino - 1] = node index
	std::vector<uint8_t> meta;     // the metadata region, from meta_off (sb fields not set)
	std::vector<uint64_t> extent;  // by node index: absolute extent offset (0: none)
	uint32_t inode_count = 0;
	uint64_t dirent_count = 0, xattr_count = 0, str_size = 0;
	uint64_t data_off = 0, total_size = 0, data_bytes = 0;
	int64_t build_time = 0;
};

// Numbers inodes breadth-first (entries sorted by name bytes; a child directory always gets a
// larger number than its parent), computes link counts, and places file extents. Sorts every
// directory's entries. Throws Error on duplicate names or limits of the format.
Layout make_layout(Tree &tree, const LayoutOptions &options);

} // namespace daxpool::daxfs
