// SPDX-License-Identifier: GPL-2.0-only
// Sources of a Tree: a directory on a filesystem, or a tar archive (libarchive).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lib/daxfs/tree.hpp"

namespace daxpool::daxfs {

// Walks the directory root (not following symlinks, not crossing into anything but what
// readdir lists), breadth-first with names sorted. Throws Error naming the offending path.
Tree scan_dir(const std::string &root);

// Reads the archive's headers (skipping data). Paths are made relative; missing parent
// directories are created (mode 0755, owner 0:0, mtime 0); a later entry for the same path
// replaces an earlier one; hard links share the node. Node::src_index is the entry's position.
Tree scan_tar(const std::string &archive);

// Streams the archive's file contents again: calls sink(node, bytes, offset) for every chunk of
// every regular file node whose src_index is that entry's position.
using TarSink = std::function<void(uint32_t node, const void *buf, size_t len, uint64_t offset)>;
void read_tar_data(const std::string &archive, const Tree &tree, const TarSink &sink);

} // namespace daxpool::daxfs
