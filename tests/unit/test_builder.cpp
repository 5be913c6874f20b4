// SPDX-License-Identifier: GPL-2.0-only
// Builder: round trip of a generated tree with every file type, layout rules, reproducibility,
// options, and error paths (with nothing left behind).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>

#include "daxfs_helpers.hpp"
#include "daxfs_tree.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/util/hex.hpp"

using namespace daxpool::daxfs;
using namespace daxtest;

namespace {

void require_clean(const std::string &image)
{
	FsckReport r = fsck(image);
	INFO((r.problems.empty() ? std::string() : r.problems[0]));
	REQUIRE(r.ok());
}

} // namespace

TEST_CASE("builder: round trip of every file type", "[builder]")
{
	require_root();
	TempDir t;
	std::string src = t / "src";
	REQUIRE(::mkdir(src.c_str(), 0755) == 0);
	make_tree(src);
	build(src, t / "img");
	require_clean(t / "img");
	Image img = Image::open(t / "img");

	auto diffs = compare_tree(src, img);
	INFO((diffs.empty() ? std::string() : diffs[0]));
	CHECK(diffs.empty());

	// Spot checks of what compare_tree covers generically.
	auto linked = img.resolve("/linked");
	REQUIRE(linked);
	CHECK(img.resolve("/dir/link2") == linked);
	CHECK(img.resolve("/dir/sub/link3") == linked);
	CHECK(img.stat(*linked).nlink == 3);
	CHECK(img.resolve("/" + long_name));
	CHECK(img.resolve("/" + utf8_name));
	CHECK(img.resolve("/" + latin1_name));
	CHECK(img.getxattr(*img.resolve("/caps"), "security.capability")->size() == 20);
	CHECK(img.getxattr(*img.resolve("/xattrs"), "trusted.overlay.opaque") == "y");
	CHECK(img.getxattr(*img.resolve("/xattrs"), "user.empty") == "");
	CHECK(img.readlink(*img.resolve("/longlink")).size() == 4000);
	Stat bigdev = img.stat(*img.resolve("/bigdev"));
	CHECK(bigdev.rdev_major == 4095);
	CHECK(bigdev.rdev_minor == 1048575);
	CHECK(S_ISSOCK(img.stat(*img.resolve("/sock")).mode));
	CHECK(S_ISFIFO(img.stat(*img.resolve("/fifo")).mode));
	CHECK(img.stat(*img.resolve("/empty")).size == 0);
	CHECK(img.data(*img.resolve("/empty")).empty());
	CHECK(img.readdir(*img.resolve("/emptydir")).empty());
	CHECK(img.stat(*img.resolve("/emptydir")).mode == (S_IFDIR | 01777));
	CHECK_FALSE(img.resolve("/nonexistent"));
	CHECK(img.resolve("/dir/sub/..") == img.resolve("/dir"));

	// read() at offsets, past the end.
	uint32_t odd = *img.resolve("/dir/sub/odd");
	std::string want = read_file(src + "/dir/sub/odd");
	std::vector<uint8_t> buf(5000);
	REQUIRE(img.read(odd, 10000, buf) == 12345 - 10000);
	CHECK(std::equal(buf.begin(), buf.begin() + 2345, want.begin() + 10000,
			 [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }));
	CHECK(img.read(odd, 12345, buf) == 0);
}

TEST_CASE("builder: extent alignment and layout", "[builder]")
{
	require_root();
	TempDir t;
	std::string src = t / "src";
	REQUIRE(::mkdir(src.c_str(), 0755) == 0);
	make_tree(src);
	build(src, t / "img");
	Image img = Image::open(t / "img");
	Stat big = img.stat(*img.resolve("/dir/big3m"));
	CHECK(big.size == 3u << 20);
	CHECK(big.data_offset % (2u << 20) == 0);
	CHECK(big.data_offset != 0);
	uint64_t data_off = le64_to_cpu(img.super().data_off);
	std::vector<std::pair<uint64_t, uint64_t>> extents;
	walk(img, [&](const std::string &, uint32_t ino) {
		Stat s = img.stat(ino);
		if (!S_ISREG(s.mode) || !s.size)
			return;
		CHECK(s.data_offset % 4096 == 0);
		CHECK(s.data_offset >= data_off);
		extents.emplace_back(s.data_offset, s.data_offset + s.size);
	});
	std::sort(extents.begin(), extents.end());
	extents.erase(std::unique(extents.begin(), extents.end()), extents.end()); // hard links
	for (size_t i = 1; i < extents.size(); i++)
		CHECK(extents[i - 1].second <= extents[i].first); // no overlap
	// Small files fill the gap before the 2 MiB-aligned file: the image is not much larger than
	// the big file plus the alignment to its 2 MiB boundary.
	CHECK(le64_to_cpu(img.super().total_size) == big.data_offset + (3u << 20));
}

TEST_CASE("builder: reproducible regardless of creation order", "[builder]")
{
	require_root();
	TempDir t;
	std::string a = t / "a", b = t / "b";
	REQUIRE(::mkdir(a.c_str(), 0755) == 0);
	REQUIRE(::mkdir(b.c_str(), 0755) == 0);
	make_tree(a, false);
	make_tree(b, true);
	BuildOptions o;
	o.label = "repro";
	build(a, t / "a.img", o);
	build(b, t / "b.img", o);
	auto ia = read_bytes(t / "a.img"), ib = read_bytes(t / "b.img");
	REQUIRE(ia.size() == ib.size());
	CHECK(ia == ib);
	// And again from the same tree.
	build(a, t / "a2.img", o);
	CHECK(read_bytes(t / "a2.img") == ia);
	// A one-byte change gives a different digest and (derived) UUID.
	write_file(b + "/hello.txt", "hello, daxfs!");
	set_mtime(b + "/hello.txt", 1700000000, 123456789);
	set_mtime(b, 1650000000, 2);
	BuildResult rb = build(b, t / "b2.img", o);
	BuildResult ra = build(a, t / "a3.img", o);
	CHECK(ra.digest != rb.digest);
	CHECK(ra.uuid != rb.uuid);
	CHECK((ra.uuid[6] >> 4) == 8); // RFC 9562 version 8
	CHECK((ra.uuid[8] >> 6) == 2); // variant 10
}

TEST_CASE("builder: options", "[builder]")
{
	require_root();
	TempDir t;
	std::string src = t / "src";
	REQUIRE(::mkdir(src.c_str(), 0755) == 0);
	make_tree(src, false, false);

	SECTION("--mtime sets every inode's mtime and the build time")
	{
		BuildOptions o;
		o.mtime = 1234567890;
		build(src, t / "img", o);
		Image img = Image::open(t / "img");
		CHECK(static_cast<int64_t>(le64_to_cpu(img.super().build_time)) == 1234567890);
		for (uint32_t i = 1; i <= img.inode_count(); i++) {
			CHECK(img.stat(i).mtime_sec == 1234567890);
			CHECK(img.stat(i).mtime_nsec == 0);
		}
	}
	SECTION("SOURCE_DATE_EPOCH clamps newer mtimes, keeps older ones")
	{
		BuildOptions o;
		o.source_date_epoch = 1700000005;
		build(src, t / "img", o);
		Image img = Image::open(t / "img");
		CHECK(static_cast<int64_t>(le64_to_cpu(img.super().build_time)) == 1700000005);
		CHECK(img.stat(*img.resolve("/hello.txt")).mtime_sec == 1700000000);
		CHECK(img.stat(*img.resolve("/hello.txt")).mtime_nsec == 123456789);
		CHECK(img.stat(*img.resolve("/fifo")).mtime_sec == 1700000005);
		CHECK(img.stat(*img.resolve("/fifo")).mtime_nsec == 0);
	}
	SECTION("default build time is the newest mtime")
	{
		build(src, t / "img");
		Image img = Image::open(t / "img");
		int64_t newest = 0;
		for (uint32_t i = 1; i <= img.inode_count(); i++)
			newest = std::max(newest, img.stat(i).mtime_sec);
		CHECK(static_cast<int64_t>(le64_to_cpu(img.super().build_time)) == newest);
	}
	SECTION("--all-root, --uuid, --label")
	{
		BuildOptions o;
		o.all_root = true;
		o.uuid = parse_uuid("01234567-89ab-cdef-0123-456789ABCDEF");
		REQUIRE(o.uuid);
		o.label = "rootfs-v1";
		build(src, t / "img", o);
		Image img = Image::open(t / "img");
		for (uint32_t i = 1; i <= img.inode_count(); i++) {
			CHECK(img.stat(i).uid == 0);
			CHECK(img.stat(i).gid == 0);
		}
		CHECK(daxpool::util::format_uuid(*o.uuid) == "01234567-89ab-cdef-0123-456789abcdef");
		CHECK(std::equal(o.uuid->begin(), o.uuid->end(), img.super().uuid));
		CHECK(std::string(reinterpret_cast<const char *>(img.super().label)) == "rootfs-v1");
		CHECK_FALSE(parse_uuid("01234567-89ab-cdef-0123-456789abcdeg"));
		CHECK_FALSE(parse_uuid("0123456789ab-cdef-0123-456789abcdef0"));
	}
}

TEST_CASE("builder: errors name the problem and leave nothing behind", "[builder]")
{
	require_root();
	TempDir t;
	std::string src = t / "src", out = t / "out";
	REQUIRE(::mkdir(src.c_str(), 0755) == 0);
	REQUIRE(::mkdir(out.c_str(), 0755) == 0);
	make_tree(src, false, true, false);

	SECTION("output inside the source tree")
	{
		REQUIRE_THROWS_WITH(build(src, src + "/dir/x.img"), Catch::Contains("inside the source tree"));
		CHECK_FALSE(std::filesystem::exists(src + "/dir/x.img"));
		REQUIRE_THROWS_WITH(build(src, src + "/../src/y.img"), Catch::Contains("inside the source tree"));
	}
	SECTION("image over --max-size")
	{
		BuildOptions o;
		o.max_size = 1u << 20;
		REQUIRE_THROWS_WITH(build(src, out + "/x.img", o), Catch::Contains("over the limit"));
		CHECK(list_dir(out).empty());
	}
	SECTION("unreadable file (as an unprivileged user)")
	{
		src = t / "src2";
		REQUIRE(::mkdir(src.c_str(), 0755) == 0);
		write_file(src + "/readable", "yes", 0644);
		write_file(src + "/secret", "no", 0000);
		REQUIRE(::chmod(out.c_str(), 0777) == 0);
		REQUIRE(::chmod(t.path().c_str(), 0755) == 0);
		pid_t pid = ::fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			int code = 3;
			if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
				try {
					build(src, out + "/x.img");
					code = 1; // built although a file is unreadable
				} catch (const Error &e) {
					code = std::string(e.what()).find(src + "/secret") != std::string::npos ? 0 : 2;
				}
			}
			::_exit(code);
		}
		int status = 0;
		REQUIRE(::waitpid(pid, &status, 0) == pid);
		REQUIRE(WIFEXITED(status));
		CHECK(WEXITSTATUS(status) == 0); // 1: no error, 2: error without the path, 3: setuid failed
		CHECK(list_dir(out).empty());     // the temporary file was removed
	}
	SECTION("missing source, source not a directory, bad label")
	{
		CHECK_THROWS_WITH(build(t / "missing", out + "/x.img"), Catch::Contains("missing"));
		CHECK_THROWS_WITH(build(src + "/hello.txt", out + "/x.img"), Catch::Contains("not a directory"));
		BuildOptions o;
		o.label = std::string(64, 'l');
		CHECK_THROWS_WITH(build(src, out + "/x.img", o), Catch::Contains("label"));
		CHECK(list_dir(out).empty());
	}
	SECTION("output directory missing")
	{
		CHECK_THROWS_WITH(build(src, t / "nodir/x.img"), Catch::Contains("temporary file"));
	}
	SECTION("an existing image is replaced only on success")
	{
		write_file(out + "/x.img", "old");
		BuildOptions o;
		o.max_size = 4096;
		CHECK_THROWS(build(src, out + "/x.img", o));
		CHECK(read_file(out + "/x.img") == "old");
		CHECK(list_dir(out) == std::vector<std::string>{"x.img"});
		build(src, out + "/x.img");
		CHECK(list_dir(out) == std::vector<std::string>{"x.img"});
		require_clean(out + "/x.img");
	}
}

TEST_CASE("fsck: data corruption is found by the digest and padding checks", "[builder]")
{
	require_root();
	TempDir t;
	std::string src = t / "src";
	REQUIRE(::mkdir(src.c_str(), 0755) == 0);
	make_tree(src, false, false, false);
	build(src, t / "img");
	Image img = Image::open(t / "img");
	Stat s = img.stat(*img.resolve("/dir/sub/odd"));
	auto bytes = read_bytes(t / "img");

	auto flipped = bytes;
	flipped[s.data_offset + 100] ^= 1; // file data: the validator cannot see it, fsck must
	FsckReport r = fsck_bytes(flipped);
	CHECK(r.structure_ok);
	CHECK_FALSE(r.digest_ok);
	CHECK_FALSE(r.ok());
	REQUIRE_FALSE(r.problems.empty());
	CHECK_THAT(r.problems[0], Catch::Contains("digest mismatch"));

	auto tail = bytes;
	tail[s.data_offset + s.size] = 0xaa; // past EOF in the last page
	r = fsck_bytes(tail);
	CHECK_FALSE(r.ok());
	bool tail_reported = std::any_of(r.problems.begin(), r.problems.end(), [&](const std::string &p) {
		return p.find("inode " + std::to_string(s.ino)) != std::string::npos;
	});
	CHECK(tail_reported);

	CHECK(fsck_bytes(bytes).ok());
}
