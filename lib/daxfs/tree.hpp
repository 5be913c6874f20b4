// SPDX-License-Identifier: GPL-2.0-only
// The builder's in-memory model of a tree to put into an image: metadata only, never file
// contents. Sources (a directory, a tar archive) fill it; layout.cpp turns it into an image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daxpool::daxfs {

struct Xattr {
	std::string name; // full name, e.g. "user.mime"
	std::string value;
};

struct Entry {
	std::string name;
	uint32_t node; // index into Tree::nodes
};

struct Node {
	uint32_t mode = 0; // st_mode: type + permissions
	uint32_t uid = 0, gid = 0;
	int64_t mtime_sec = 0;
	uint32_t mtime_nsec = 0;
	uint64_t size = 0;       // regular files
	uint32_t rdev_major = 0, rdev_minor = 0;
	std::string target;      // symlinks
	std::vector<Xattr> xattrs;
	std::vector<Entry> entries; // directories; sorted by name bytes before layout
	// Where the data comes from: a path (directory source) or an archive entry (tar source:
	// src_index-th header of the src_layer-th archive).
	std::string src_path;
	uint64_t src_index = 0;
	uint32_t src_layer = 0;
};

struct Tree {
	std::vector<Node> nodes; // nodes[0] is the root directory
};

// The name a source gives for a node, for error messages ("tree/a/b").
inline std::string join_path(const std::string &dir, const std::string &name)
{
	return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

} // namespace daxpool::daxfs
