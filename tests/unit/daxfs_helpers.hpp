// SPDX-License-Identifier: GPL-2.0-only
// Helpers for the daxfs tests: temporary directories, file creation, image building, and a
// full comparison of a source tree with an image through the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/daxfs/build.hpp"
#include "lib/daxfs/image.hpp"

namespace daxtest {

// mkdtemp under $TMPDIR or /var/tmp (a real filesystem with xattr support), removed recursively.
class TempDir {
public:
	TempDir();
	~TempDir();
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	const std::string &path() const { return path_; }
	std::string operator/(const std::string &rel) const { return path_ + "/" + rel; }

private:
	std::string path_;
};

// Fails the current test (with a message) unless running as root.
void require_root();

void write_file(const std::string &path, const std::string &content, unsigned mode = 0644);
void set_xattr(const std::string &path, const std::string &name, const std::string &value);
void set_mtime(const std::string &path, int64_t sec, long nsec);
std::string read_file(const std::string &path);
std::vector<uint8_t> read_bytes(const std::string &path);
void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes);

// Builds source into image with default options plus the given overrides.
daxpool::daxfs::BuildResult build(const std::string &source, const std::string &image,
				  daxpool::daxfs::BuildOptions o = {});

// Every difference between the tree at src and the image (content, type, mode, owner, mtime,
// size, device numbers, symlink targets, xattrs, directory listings, hard-link identity, link
// counts). Empty when they are identical.
std::vector<std::string> compare_tree(const std::string &src, const daxpool::daxfs::Image &img);

// Files left in a directory (names), e.g. to assert no temporary file remains.
std::vector<std::string> list_dir(const std::string &dir);

} // namespace daxtest
