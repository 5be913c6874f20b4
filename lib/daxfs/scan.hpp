// SPDX-License-Identifier: GPL-2.0-only
// Sources of a Tree: a directory on a filesystem, or a tar archive (libarchive).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lib/daxfs/tree.hpp"

namespace daxpool::daxfs {

// Walks the directory root (not following symlinks, not crossing into anything but what
// readdir lists), breadth-first with names sorted. Throws Error naming the offending path.
Tree scan_dir(const std::string &root);

// Reads the archive's headers (skipping data). Paths are made relative; missing parent
// directories are created (mode 0755, owner 0:0, mtime 0); a later entry for the same path
// replaces an earlier one; hard links share the node. Node::src_index is the entry's position.
Tree scan_tar(const std::string &archive);

// A tar archive as one layer of an image. any: whatever libarchive reads (--tar); the others:
// a tar (ustar, pax, GNU) compressed exactly so (an OCI layer's media type).
enum class Compression { any, none, gzip, zstd };
// diff_id: "ALG:HEX" of the uncompressed tar (an OCI config's rootfs.diff_ids), checked by
// scan_layers; empty: not checked.
struct Layer {
	std::string path;
	Compression compression = Compression::any;
	std::string diff_id;
};

// The layers applied in order as overlayfs and containers/storage do: a later entry replaces
// the name (a directory over a directory keeps the lower one's children); ".wh.NAME" deletes
// NAME and everything below it from the lower layers; ".wh..wh..opq" leaves its directory with
// only the names this layer puts there (recursively); whiteout entries are not stored. A hard
// link may name a file of a lower layer (the two names share the inode). Node::src_layer is the
// index of the layer a file's data comes from. A layer with a diff_id is read to its end and
// refused unless its uncompressed bytes hash to it.
Tree scan_layers(const std::vector<Layer> &layers);

// Streams the archives' file contents again: calls sink(node, bytes, offset) for every chunk of
// every regular file node whose (src_layer, src_index) is that entry. scan_tar's tree: one
// layer, the archive.
using TarSink = std::function<void(uint32_t node, const void *buf, size_t len, uint64_t offset)>;
void read_tar_data(const std::vector<Layer> &layers, const Tree &tree, const TarSink &sink);

} // namespace daxpool::daxfs
