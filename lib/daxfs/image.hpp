// SPDX-License-Identifier: GPL-2.0-only
// Reader of a daxfs image in memory (a file mapping, or a caller's buffer). The constructor runs
// the shared validator (lib/format/validate.c); after that every accessor uses offsets without
// re-checking them, exactly as the kernel does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/daxfs/error.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"

namespace daxpool::daxfs {

// Validation failure: the validator's code and message.
struct InvalidImage : Error {
	InvalidImage(daxfs_verr_code c, uint32_t i, const std::string &msg) : Error(msg), code(c), ino(i) {}
	daxfs_verr_code code;
	uint32_t ino;
};

struct Stat {
	uint32_t ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t size;          // bytes (regular, symlink), entries (directory)
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t rdev_major, rdev_minor;
	uint32_t parent;        // directories
	uint64_t data_offset;   // regular files: absolute extent offset (0 when empty)
	uint32_t xattr_count;
};

struct DirEntry {
	std::string_view name;
	uint32_t ino;
	uint8_t type; // DT_*
};

struct XattrView {
	std::string_view name;
	std::string_view value;
};

class Image {
public:
	// Maps and validates the file; throws Error (cannot open) or InvalidImage.
	static Image open(const std::string &path);
	// Validates a caller's buffer, which must outlive the Image and be 8-byte aligned.
	static Image borrow(std::span<const uint8_t> bytes);

	const daxfs_super &super() const { return *reinterpret_cast<const daxfs_super *>(base_); }
	std::span<const uint8_t> bytes() const { return {base_, total_}; }
	uint32_t inode_count() const { return icount_; }

	Stat stat(uint32_t ino) const;  // ino in 1..inode_count(), else throws Error
	// Binary search in a directory; nullopt if absent or dir is not a directory.
	std::optional<uint32_t> lookup(uint32_t dir, std::string_view name) const;
	// "/a/b" or "a/b" from the root; symlinks are not followed. nullopt if absent.
	std::optional<uint32_t> resolve(std::string_view path) const;
	// Entry `index` of a directory (readdir position index + 2); nullopt past the end.
	std::optional<DirEntry> dirent(uint32_t dir, uint64_t index) const;
	std::vector<DirEntry> readdir(uint32_t dir) const;
	// A regular file's contents, in place (zero-copy).
	std::span<const uint8_t> data(uint32_t ino) const;
	// pread-like copy; returns bytes copied.
	size_t read(uint32_t ino, uint64_t offset, std::span<uint8_t> out) const;
	std::string_view readlink(uint32_t ino) const;
	std::vector<XattrView> xattrs(uint32_t ino) const;
	std::optional<std::string_view> getxattr(uint32_t ino, std::string_view name) const;

private:
	Image(util::Mapping m, const uint8_t *base, uint64_t len);
	const daxfs_inode &inode(uint32_t ino) const;
	std::string_view str(uint64_t off, uint64_t len) const
	{
		return {reinterpret_cast<const char *>(base_ + str_off_ + off), static_cast<size_t>(len)};
	}

	util::Mapping map_; // empty for borrowed buffers
	const uint8_t *base_;
	uint64_t total_;
	uint32_t icount_;
	uint64_t dirent_off_, xattr_off_, str_off_;
};

// Visits every name in the tree depth-first in name order (an explicit stack, no recursion):
// fn(path, ino) with path "/" for the root, "/a/b" below it. Hard links are visited once per name.
void walk(const Image &img, const std::function<void(const std::string &path, uint32_t ino)> &fn);

// Human-readable mode, e.g. "drwxr-xr-x".
std::string mode_string(uint32_t mode);

} // namespace daxpool::daxfs
