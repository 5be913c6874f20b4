// SPDX-License-Identifier: GPL-2.0-only
// The tar path: a tar of a tree gives the same image as the tree; archive-only features
// (implicit directories, replaced entries, hard links); errors.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>

#include <catch2/catch.hpp>

#include "daxfs_helpers.hpp"
#include "daxfs_tree.hpp"
#include "lib/daxfs/fsck.hpp"

using namespace daxpool::daxfs;
using namespace daxtest;

namespace {

struct WriteFree {
	void operator()(struct archive *a) const noexcept { archive_write_free(a); }
};
struct EntryFree {
	void operator()(struct archive_entry *e) const noexcept { archive_entry_free(e); }
};

// A small pax archive writer for hand-made archives.
class TarWriter {
public:
	explicit TarWriter(const std::string &path) : a_(archive_write_new())
	{
		archive_write_set_format_pax(a_.get());
		REQUIRE(archive_write_open_filename(a_.get(), path.c_str()) == ARCHIVE_OK);
	}
	~TarWriter() { archive_write_close(a_.get()); }
	void add(const std::string &path, unsigned mode, const std::string &data = "", const char *link = nullptr,
		 const char *hardlink = nullptr, std::vector<std::pair<std::string, std::string>> xattrs = {})
	{
		std::unique_ptr<struct archive_entry, EntryFree> e(archive_entry_new());
		archive_entry_set_pathname(e.get(), path.c_str());
		archive_entry_set_mode(e.get(), mode);
		archive_entry_set_uid(e.get(), 1000);
		archive_entry_set_gid(e.get(), 100);
		archive_entry_set_mtime(e.get(), 1700000000, 42);
		if (hardlink) {
			archive_entry_set_hardlink(e.get(), hardlink);
			archive_entry_set_size(e.get(), 0);
		} else {
			archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
		}
		if (link)
			archive_entry_set_symlink(e.get(), link);
		for (auto &[n, v] : xattrs)
			archive_entry_xattr_add_entry(e.get(), n.c_str(), v.data(), v.size());
		REQUIRE(archive_write_header(a_.get(), e.get()) == ARCHIVE_OK);
		if (!data.empty())
			REQUIRE(archive_write_data(a_.get(), data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
	}

private:
	std::unique_ptr<struct archive, WriteFree> a_;
};

} // namespace

TEST_CASE("tar: a tar of a tree builds the same image as the tree", "[tar]")
{
	require_root();
	TempDir t;
	std::string src = t / "src";
	REQUIRE(::mkdir(src.c_str(), 0755) == 0);
	make_tree(src, false, true, false); // tar does not archive sockets
	std::string cmd = "tar -C '" + src + "' --format=pax --xattrs --xattrs-include='*' --numeric-owner -cf '" +
			  t.path() + "/src.tar' .";
	REQUIRE(std::system(cmd.c_str()) == 0);
	BuildOptions o;
	build(src, t / "dir.img", o);
	o.tar = true;
	build(t / "src.tar", t / "tar.img", o);
	REQUIRE(fsck(t / "tar.img").ok());
	Image img = Image::open(t / "tar.img");
	auto diffs = compare_tree(src, img);
	INFO((diffs.empty() ? std::string() : diffs[0]));
	CHECK(diffs.empty());
	CHECK(read_bytes(t / "tar.img") == read_bytes(t / "dir.img"));

	// Compressed archives go through libarchive's filters.
	REQUIRE(std::system(("gzip -k '" + t.path() + "/src.tar'").c_str()) == 0);
	build(t / "src.tar.gz", t / "gz.img", o);
	CHECK(read_bytes(t / "gz.img") == read_bytes(t / "dir.img"));
}

TEST_CASE("tar: implicit directories, replaced entries, hard links, xattrs", "[tar]")
{
	TempDir t;
	{
		TarWriter w(t / "a.tar");
		w.add("./a/b/c/file", S_IFREG | 0640, "deep\n");          // a, a/b, a/b/c implicit
		w.add("x", S_IFREG | 0644, "first version\n");
		w.add("x", S_IFREG | 0600, "second version\n");              // replaces the first
		w.add("h1", S_IFREG | 0644, "linked\n", nullptr, nullptr,
		      {{"user.k", "v"}, {"security.capability", std::string("\x01\x00\x00\x02", 4)}});
		w.add("a/h2", S_IFREG | 0644, "", nullptr, "h1");
		w.add("s", S_IFLNK | 0777, "", "a/b/c/file");
		w.add("a/b", S_IFDIR | 0700, "", nullptr, nullptr, {{"trusted.t", "1"}}); // after its children
		w.add("p", S_IFIFO | 0600);
	}
	BuildOptions o;
	o.tar = true;
	build(t / "a.tar", t / "a.img", o);
	REQUIRE(fsck(t / "a.img").ok());
	Image img = Image::open(t / "a.img");
	auto file = img.resolve("/a/b/c/file");
	REQUIRE(file);
	CHECK(std::string(reinterpret_cast<const char *>(img.data(*file).data()), img.data(*file).size()) == "deep\n");
	CHECK(img.stat(*file).uid == 1000);
	CHECK(img.stat(*file).mtime_nsec == 42);
	Stat implicit = img.stat(*img.resolve("/a"));
	CHECK(implicit.mode == (S_IFDIR | 0755));
	CHECK(implicit.uid == 0);
	Stat ab = img.stat(*img.resolve("/a/b"));
	CHECK(ab.mode == (S_IFDIR | 0700));
	CHECK(img.getxattr(*img.resolve("/a/b"), "trusted.t") == "1");
	auto x = img.resolve("/x");
	REQUIRE(x);
	CHECK(img.stat(*x).mode == (S_IFREG | 0600));
	CHECK(std::string(reinterpret_cast<const char *>(img.data(*x).data()), img.data(*x).size()) == "second version\n");
	CHECK(img.resolve("/h1") == img.resolve("/a/h2"));
	CHECK(img.stat(*img.resolve("/h1")).nlink == 2);
	CHECK(img.getxattr(*img.resolve("/a/h2"), "user.k") == "v");
	CHECK(img.getxattr(*img.resolve("/h1"), "security.capability")->size() == 4);
	CHECK(img.readlink(*img.resolve("/s")) == "a/b/c/file");
	CHECK(S_ISFIFO(img.stat(*img.resolve("/p")).mode));
	CHECK(img.inode_count() == 9); // /, a, b, c, file, x, h1, s, p: nothing for the replaced x
}

TEST_CASE("tar: errors", "[tar]")
{
	TempDir t;
	BuildOptions o;
	o.tar = true;
	std::string out = t / "out";
	REQUIRE(::mkdir(out.c_str(), 0755) == 0);
	SECTION("name longer than 255 bytes")
	{
		{
			TarWriter w(t / "a.tar");
			w.add("dir/" + std::string(256, 'n'), S_IFREG | 0644, "x");
		}
		CHECK_THROWS_WITH(build(t / "a.tar", out + "/a.img", o), Catch::Contains("longer than 255"));
	}
	SECTION("'..' in a path")
	{
		{
			TarWriter w(t / "a.tar");
			w.add("a/../../etc/passwd", S_IFREG | 0644, "x");
		}
		CHECK_THROWS_WITH(build(t / "a.tar", out + "/a.img", o), Catch::Contains(".."));
	}
	SECTION("hard link to a missing entry")
	{
		{
			TarWriter w(t / "a.tar");
			w.add("h", S_IFREG | 0644, "", nullptr, "missing");
		}
		CHECK_THROWS_WITH(build(t / "a.tar", out + "/a.img", o), Catch::Contains("missing"));
	}
	SECTION("unsupported xattr namespace")
	{
		{
			TarWriter w(t / "a.tar");
			w.add("f", S_IFREG | 0644, "x", nullptr, nullptr, {{"weird.ns", "1"}});
		}
		CHECK_THROWS_WITH(build(t / "a.tar", out + "/a.img", o), Catch::Contains("weird.ns"));
	}
	SECTION("not an archive, truncated archive")
	{
		write_file(t / "junk.tar", std::string(10000, 'j'));
		CHECK_THROWS(build(t / "junk.tar", out + "/a.img", o));
		{
			TarWriter w(t / "a.tar");
			w.add("f", S_IFREG | 0644, std::string(100000, 'f'));
		}
		auto bytes = read_bytes(t / "a.tar");
		bytes.resize(50000);
		write_bytes(t / "cut.tar", bytes);
		CHECK_THROWS(build(t / "cut.tar", out + "/a.img", o));
	}
	SECTION("output is the archive")
	{
		{
			TarWriter w(t / "a.tar");
			w.add("f", S_IFREG | 0644, "x");
		}
		CHECK_THROWS_WITH(build(t / "a.tar", t / "a.tar", o), Catch::Contains("source archive"));
	}
	CHECK(list_dir(out).empty());
}
