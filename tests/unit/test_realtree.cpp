// SPDX-License-Identifier: GPL-2.0-only
// A real tree of a few thousand files (/usr/include, or DAXFS_REALTREE) round-trips through
// build -> fsck -> reader with identical content, modes, owners, mtimes, xattrs, link targets.
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "daxfs_helpers.hpp"
#include "lib/daxfs/fsck.hpp"

using namespace daxpool::daxfs;
using namespace daxtest;

TEST_CASE("realtree: build -> fsck -> reader", "[realtree]")
{
	const char *env = std::getenv("DAXFS_REALTREE");
	std::string src = env && *env ? env : "/usr/include";
	REQUIRE(std::filesystem::is_directory(src));
	size_t files = 0;
	for (auto it = std::filesystem::recursive_directory_iterator(src); it != std::filesystem::recursive_directory_iterator(); ++it)
		files++;
	INFO(src << " has " << files << " entries");
	REQUIRE(files >= 2000); // "a few thousand real files"
	TempDir t;
	BuildResult r = build(src, t / "img");
	CHECK(r.inodes > 0);
	FsckReport rep = fsck(t / "img");
	INFO((rep.problems.empty() ? std::string() : rep.problems[0]));
	REQUIRE(rep.ok());
	Image img = Image::open(t / "img");
	auto diffs = compare_tree(src, img);
	INFO(diffs.size() << " differences; first: " << (diffs.empty() ? std::string() : diffs[0]));
	CHECK(diffs.empty());
}
