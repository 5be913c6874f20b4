// SPDX-License-Identifier: GPL-2.0-only
// Tar layers and OCI image layouts (lib/daxfs/scan_tar.cpp scan_layers, lib/daxfs/oci.cpp): the
// flattened tree against an overlayfs mount of the same layers (the kernel's answer) and against
// umoci unpack of the same image (with a hard link to a lower layer's file), OCI tags, digests,
// media types, refusals, reproducibility.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include <catch2/catch.hpp>

#include "daxfs_helpers.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/daxfs/oci.hpp"
#include "oci_helpers.hpp"

using namespace daxpool::daxfs;
using namespace daxtest;
using namespace ocitest;
using Catch::Contains;

namespace {

std::string content(const Image &img, const std::string &path)
{
	auto ino = img.resolve(path);
	REQUIRE(ino);
	auto d = img.data(*ino);
	return std::string(reinterpret_cast<const char *>(d.data()), d.size());
}

// Three layers: plain, gzip, zstd. Every parent directory has its own entry in each layer that
// puts something below it (as container tools write layers).
// third: the third layer's compression (umoci 0.4.7 reads no zstd).
std::vector<LayerFile> make_layers(const TempDir &t, Comp third = Comp::zstd)
{
	std::vector<LayerFile> ls = {{t / "l1.tar", Comp::none}, {t / "l2.tar.gz", Comp::gzip},
				     {t / "l3.tar.zst", third}};
	{
		LayerWriter w(ls[0].path, ls[0].comp);
		w.dir("./");
		w.dir("etc");
		w.file("etc/passwd", "root:x:0:0\n");
		w.file("etc/keep", "keep\n", 0600);
		w.dir("del");
		w.file("del/a", "a\n");
		w.file("del/b", "b\n");
		w.dir("del/sub");
		w.file("del/sub/c", "c\n");
		w.dir("opq");
		w.file("opq/old", "old\n");
		w.dir("opq/olddir");
		w.file("opq/olddir/x", "x\n");
		w.file("f2d", "a file, then a directory\n");
		w.dir("d2f");
		w.file("d2f/inner", "inner\n");
		w.symlink("link", "etc/passwd");
		w.symlink("abs", "/etc/../../outside");
		w.file("hl1", "linked\n");
		w.hardlink("hl2", "hl1");
		w.file("gone", "gone\n");
		w.dir("bin");
		w.file("bin/su", "setuid\n", 04755);
		w.dir("dev");
		w.chardev("dev/null", 1, 3);
	}
	{
		LayerWriter w(ls[1].path, ls[1].comp);
		w.dir("./", 0750);
		w.whiteout(".wh.gone");
		w.dir("del");
		w.whiteout("del/.wh.a");
		w.whiteout("del/.wh.sub");
		w.dir("opq", 0700);
		w.file("opq/early", "before the marker\n");
		w.whiteout("opq/.wh..wh..opq");
		w.dir("opq/olddir");
		w.file("opq/olddir/y", "y\n");
		w.dir("f2d");
		w.file("f2d/child", "child\n");
		w.file("d2f", "a directory, then a file\n");
		w.symlink("link", "etc/keep");
		w.dir("etc", 0711);
		w.file("etc/passwd", "root:x:0:0:new\n", 0644, {{"user.layer", "2"}});
	}
	{
		LayerWriter w(ls[2].path, ls[2].comp);
		w.dir("./");
		w.whiteout(".wh.hl2");
		w.dir("opq");
		w.file("opq/late", "late\n");
		w.dir("new");
		w.dir("new/deep");
		w.file("new/deep/f", std::string(70000, 'z'));
		w.file("new/h1", "pair\n");
		w.hardlink("new/h2", "new/h1");
	}
	return ls;
}

std::vector<std::string> paths_of(const std::vector<LayerFile> &ls)
{
	std::vector<std::string> out;
	for (const auto &l : ls)
		out.push_back(l.path);
	return out;
}

// A layer unpacked by GNU tar, its whiteouts turned into overlayfs's: ".wh.NAME" a 0:0 character
// device NAME, ".wh..wh..opq" the directory's trusted.overlay.opaque = "y" (each parent's mtime
// kept).
void unpack_for_overlay(const std::string &layer, const std::string &dir)
{
	fs::create_directories(dir);
	std::string cmd = "tar -C '" + dir + "' --xattrs --xattrs-include='*' --numeric-owner -xpf '" + layer + "'";
	REQUIRE(std::system(cmd.c_str()) == 0);
	std::vector<fs::path> whiteouts;
	for (const auto &e : fs::recursive_directory_iterator(dir))
		if (e.path().filename().string().starts_with(".wh."))
			whiteouts.push_back(e.path());
	for (const auto &w : whiteouts) {
		std::string parent = w.parent_path().string(), base = w.filename().string();
		struct stat st;
		REQUIRE(::lstat(parent.c_str(), &st) == 0);
		fs::remove(w);
		if (base == ".wh..wh..opq")
			REQUIRE(::setxattr(parent.c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
		else
			REQUIRE(::mknod((parent + "/" + base.substr(4)).c_str(), S_IFCHR | 0000, makedev(0, 0)) == 0);
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		REQUIRE(::utimensat(AT_FDCWD, parent.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
	}
}

struct OverlayMount {
	std::string dir;
	OverlayMount(const std::string &d, const std::vector<std::string> &lowers_top_first) : dir(d)
	{
		fs::create_directories(dir);
		std::string opts = "lowerdir=";
		for (size_t i = 0; i < lowers_top_first.size(); i++)
			opts += (i ? ":" : "") + lowers_top_first[i];
		INFO("mount -t overlay -o " << opts);
		REQUIRE(::mount("overlay", dir.c_str(), "overlay", MS_RDONLY, opts.c_str()) == 0);
	}
	~OverlayMount() { ::umount2(dir.c_str(), MNT_DETACH); }
	OverlayMount(const OverlayMount &) = delete;
	OverlayMount &operator=(const OverlayMount &) = delete;
};

// Two images' trees, name by name (metadata, contents, targets, xattrs; hard-link identity);
// ignore_root_xattrs leaves out the root's xattrs (an OCI image's source record).
std::vector<std::string> compare_images(const Image &a, const Image &b, bool ignore_root_xattrs)
{
	auto flat = [&](const Image &img) {
		std::map<std::string, std::string> m;
		std::map<uint32_t, std::string> first_name;
		walk(img, [&](const std::string &p, uint32_t ino) {
			Stat s = img.stat(ino);
			std::string v = std::to_string(s.mode) + " " + std::to_string(s.uid) + ":" + std::to_string(s.gid) +
					" " + std::to_string(s.nlink) + " " + std::to_string(s.mtime_sec) + "." +
					std::to_string(s.mtime_nsec) + " " + std::to_string(s.rdev_major) + ":" +
					std::to_string(s.rdev_minor);
			if (S_ISREG(s.mode)) {
				auto d = img.data(ino);
				v += " data=" + std::string(reinterpret_cast<const char *>(d.data()), d.size());
			}
			if (S_ISLNK(s.mode))
				v += " -> " + std::string(img.readlink(ino));
			if (!(ignore_root_xattrs && p == "/"))
				for (const auto &x : img.xattrs(ino))
					v += " " + std::string(x.name) + "=" + std::string(x.value);
			if (!S_ISDIR(s.mode)) {
				auto [it, fresh] = first_name.emplace(ino, p);
				v += " same-as=" + it->second;
			}
			m[p] = v;
		});
		return m;
	};
	auto ma = flat(a), mb = flat(b);
	std::vector<std::string> diffs;
	for (const auto &[p, v] : ma)
		if (!mb.count(p))
			diffs.push_back(p + ": only in the first");
		else if (mb[p] != v)
			diffs.push_back(p + ": " + v.substr(0, 80) + " != " + mb[p].substr(0, 80));
	for (const auto &[p, v] : mb)
		if (!ma.count(p))
			diffs.push_back(p + ": only in the second");
	return diffs;
}

BuildOptions layers_opts(const std::vector<std::string> &layers)
{
	BuildOptions o;
	o.layers = layers;
	return o;
}

} // namespace

TEST_CASE("oci: sha256 of a file, known answers", "[oci]")
{
	TempDir t;
	write_file(t / "abc", "abc");
	CHECK(sha256_file(t / "abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	write_file(t / "empty", "");
	CHECK(sha256_file(t / "empty") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("layers: the flattened tree equals an overlayfs mount of the same layers", "[oci][overlay]")
{
	require_root();
	TempDir t;
	auto ls = make_layers(t);
	build(t / "unused", t / "layers.img", layers_opts(paths_of(ls)));
	REQUIRE(fsck(t / "layers.img").ok());
	Image img = Image::open(t / "layers.img");

	std::vector<std::string> lowers;
	for (size_t i = 0; i < ls.size(); i++) {
		std::string d = t / ("lower" + std::to_string(i + 1));
		unpack_for_overlay(ls[i].path, d);
		lowers.insert(lowers.begin(), d); // overlayfs: the top layer first
	}
	OverlayMount m(t / "merged", lowers);
	std::vector<std::string> diffs = compare_tree(m.dir, img);
	for (const auto &d : diffs)
		FAIL_CHECK(d);
	CHECK(diffs.empty());

	// What the comparison covers, named: deletions, an opaque directory, a file replaced by a
	// directory and a directory by a file, a retargeted symlink, one name of a hard-link pair
	// deleted, a device node, setuid.
	CHECK_FALSE(img.resolve("/gone"));
	CHECK_FALSE(img.resolve("/del/a"));
	CHECK_FALSE(img.resolve("/del/sub"));
	CHECK(content(img, "/del/b") == "b\n");
	CHECK_FALSE(img.resolve("/opq/old"));
	CHECK_FALSE(img.resolve("/opq/olddir/x"));
	CHECK(content(img, "/opq/early") == "before the marker\n");
	CHECK(content(img, "/opq/olddir/y") == "y\n");
	CHECK(content(img, "/opq/late") == "late\n");
	CHECK(S_ISDIR(img.stat(*img.resolve("/f2d")).mode));
	CHECK(content(img, "/f2d/child") == "child\n");
	CHECK(content(img, "/d2f") == "a directory, then a file\n");
	CHECK_FALSE(img.resolve("/d2f/inner"));
	CHECK(img.readlink(*img.resolve("/link")) == "etc/keep");
	CHECK(img.readlink(*img.resolve("/abs")) == "/etc/../../outside"); // stored as given, like tar
	CHECK(img.stat(*img.resolve("/hl1")).nlink == 1);
	CHECK_FALSE(img.resolve("/hl2"));
	CHECK(img.resolve("/new/h1") == img.resolve("/new/h2"));
	CHECK(img.stat(*img.resolve("/bin/su")).mode == (S_IFREG | 04755));
	CHECK(img.stat(*img.resolve("/dev/null")).rdev_minor == 3);
	CHECK(img.stat(*img.resolve("/")).mode == (S_IFDIR | 0755)); // the top layer's root entry
}

TEST_CASE("layers: a hard link to a lower layer's file shares its inode", "[oci]")
{
	TempDir t;
	{
		LayerWriter w(t / "1.tar", Comp::none);
		w.dir("./");
		w.file("a", "lower\n");
	}
	{
		LayerWriter w(t / "2.tar", Comp::gzip);
		w.dir("./");
		w.dir("d");
		w.hardlink("d/b", "a");
	}
	build(t / "unused", t / "2.img", layers_opts({t / "1.tar", t / "2.tar"}));
	Image img = Image::open(t / "2.img");
	REQUIRE(img.resolve("/d/b"));
	CHECK(img.resolve("/d/b") == img.resolve("/a"));
	CHECK(img.stat(*img.resolve("/a")).nlink == 2);
	CHECK(content(img, "/d/b") == "lower\n");
	// A third layer replaces a: b keeps the lower file, now with one name.
	{
		LayerWriter w(t / "3.tar", Comp::zstd);
		w.dir("./");
		w.file("a", "upper\n");
	}
	build(t / "unused", t / "3.img", layers_opts({t / "1.tar", t / "2.tar", t / "3.tar"}));
	Image img3 = Image::open(t / "3.img");
	CHECK(content(img3, "/a") == "upper\n");
	CHECK(content(img3, "/d/b") == "lower\n");
	CHECK(img3.stat(*img3.resolve("/d/b")).nlink == 1);
	CHECK(img3.stat(*img3.resolve("/a")).nlink == 1);
}

TEST_CASE("layers: whiteouts and links that name nothing or escape are refused", "[oci]")
{
	TempDir t;
	std::string out = t / "out";
	fs::create_directories(out);
	{
		LayerWriter w(t / "base.tar", Comp::none);
		w.dir("./");
		w.dir("d");
		w.file("d/f", "f\n");
	}
	auto refused = [&](const std::string &name, auto fill, const std::string &why) {
		{
			LayerWriter w(t / name, Comp::none);
			fill(w);
		}
		CHECK_THROWS_WITH(build(t / "unused", out + "/x.img", layers_opts({t / "base.tar", t / name})),
				  Contains(why));
	};
	refused("dotdot.tar", [](LayerWriter &w) { w.whiteout("d/.wh..."); }, "whiteout of '..'");
	refused("dot.tar", [](LayerWriter &w) { w.whiteout("d/.wh.."); }, "whiteout of '.'");
	refused("empty.tar", [](LayerWriter &w) { w.whiteout("d/.wh."); }, "whiteout of ''");
	refused("escape.tar", [](LayerWriter &w) { w.whiteout("../.wh.f"); }, "contains '..'");
	refused("aufs.tar", [](LayerWriter &w) { w.whiteout(".wh..wh.plnk"); }, "unsupported whiteout metadata");
	refused("hl-dir.tar", [](LayerWriter &w) { w.hardlink("x", "d"); }, "hard link to a directory");
	refused("hl-out.tar", [](LayerWriter &w) { w.hardlink("x", "../../etc/passwd"); }, "contains '..'");
	refused("hl-gone.tar", [](LayerWriter &w) {
		w.whiteout("d/.wh.f");
		w.hardlink("x", "d/f");
	}, "not in the archive before it");
	CHECK(list_dir(out).empty());
}

TEST_CASE("oci: a layout's image by tag, recorded on the root, equal to its layers", "[oci]")
{
	TempDir t;
	auto ls = make_layers(t);
	std::string layout = t / "layout";
	fs::create_directories(layout);
	std::string base = add_manifest(layout, {ls[0]}, "base");
	std::string full = add_manifest(layout, ls, "full");
	write_index(layout, {base, full});

	BuildOptions o;
	o.oci = layout + ":full";
	BuildResult r = build(t / "unused", t / "full.img", o);
	CHECK(r.oci_digest == digest_of(full));
	CHECK(r.oci_ref == "full");
	REQUIRE(fsck(t / "full.img").ok());
	Image img = Image::open(t / "full.img");
	CHECK(img.getxattr(1, xattr_oci_digest) == digest_of(full));
	CHECK(img.getxattr(1, xattr_oci_ref) == "full");
	CHECK(digest_of(full) == "sha256:" + sha256sum(layout + "/blobs/sha256/" + digest_of(full).substr(7)));
	build(t / "unused", t / "layers.img", layers_opts(paths_of(ls)));
	Image layers = Image::open(t / "layers.img");
	std::vector<std::string> diffs = compare_images(img, layers, true);
	for (const auto &d : diffs)
		FAIL_CHECK(d);
	CHECK(diffs.empty());
	CHECK_FALSE(layers.getxattr(1, xattr_oci_digest));

	o.oci = layout + ":base";
	build(t / "unused", t / "base.img", o);
	Image b = Image::open(t / "base.img");
	CHECK(content(b, "/gone") == "gone\n");
	CHECK(b.getxattr(1, xattr_oci_digest) == digest_of(base));
	CHECK(b.getxattr(1, xattr_oci_ref) == "base");

	SECTION("no tag: the only manifest, or a refusal naming the tags")
	{
		o.oci = layout;
		CHECK_THROWS_WITH(build(t / "unused", t / "x.img", o), Contains("holds 2 manifests") && Contains("base, full"));
		o.oci = layout + ":nope";
		CHECK_THROWS_WITH(build(t / "unused", t / "x.img", o), Contains("no manifest tagged 'nope'"));
		std::string one = t / "one";
		fs::create_directories(one);
		write_index(one, {add_manifest(one, ls, "")});
		o.oci = one;
		BuildResult r1 = build(t / "unused", t / "one.img", o);
		CHECK(r1.oci_ref.empty());
		Image i1 = Image::open(t / "one.img");
		CHECK_FALSE(i1.getxattr(1, xattr_oci_ref));
		CHECK(compare_images(i1, img, true).empty());
	}
	SECTION("reproducible: same layout, same bytes (also moved elsewhere)")
	{
		o.oci = layout + ":full";
		build(t / "unused", t / "again.img", o);
		fs::rename(layout, t / "moved");
		o.oci = t / "moved:full";
		build(t / "unused", t / "moved.img", o);
		CHECK(read_bytes(t / "full.img") == read_bytes(t / "again.img"));
		CHECK(read_bytes(t / "full.img") == read_bytes(t / "moved.img"));
	}
}

TEST_CASE("oci: bad layouts are refused and nothing is written", "[oci]")
{
	TempDir t;
	auto ls = make_layers(t);
	std::string layout = t / "layout", out = t / "out";
	fs::create_directories(layout);
	fs::create_directories(out);
	std::string full = add_manifest(layout, ls, "full");
	write_index(layout, {full});
	BuildOptions o;
	o.oci = layout + ":full";
	REQUIRE_NOTHROW(build(t / "unused", out + "/ok.img", o));
	fs::remove(out + "/ok.img");
	std::string blob2 = layout + "/blobs/sha256/" + sha256sum(ls[1].path);
	auto refused = [&](const std::string &why) {
		CHECK_THROWS_WITH(build(t / "unused", out + "/x.img", o), Contains(why));
		CHECK(list_dir(out).empty());
	};

	SECTION("a layer whose bytes do not match its digest")
	{
		auto bytes = read_bytes(blob2);
		bytes[bytes.size() / 2] ^= 1;
		write_bytes(blob2, bytes);
		refused("does not match its digest");
	}
	SECTION("a missing blob")
	{
		fs::remove(blob2);
		refused("is missing");
	}
	SECTION("a blob of another size than its descriptor's")
	{
		auto bytes = read_bytes(blob2);
		bytes.push_back(0);
		write_bytes(blob2, bytes);
		refused("its descriptor says");
	}
	SECTION("malformed index.json")
	{
		std::string idx = read_file(layout + "/index.json");
		write_file(layout + "/index.json", idx.substr(0, idx.size() - 3));
		refused("malformed JSON");
	}
	SECTION("no oci-layout")
	{
		fs::remove(layout + "/oci-layout");
		refused("not an OCI image layout");
	}
	SECTION("a digest that is not hex (a path)")
	{
		std::string idx = read_file(layout + "/index.json");
		std::string d = digest_of(full);
		idx.replace(idx.find(d), d.size(), "sha256:../../../../etc/passwd");
		write_file(layout + "/index.json", idx);
		refused("lower-case hex digits");
	}
	SECTION("a layer compressed otherwise than its media type says")
	{
		// The gzip layer declared zstd: the manifest names it so, with the right digest.
		std::string m = read_file(layout + "/blobs/sha256/" + digest_of(full).substr(7));
		std::string gz = "application/vnd.oci.image.layer.v1.tar+gzip";
		m.replace(m.find(gz), gz.size(), "application/vnd.oci.image.layer.v1.tar+zstd");
		Blob mb = add_text_blob(layout, m);
		write_index(layout, {descriptor("application/vnd.oci.image.manifest.v1+json", mb, "full")});
		refused("as its media type says");
	}
	SECTION("an unknown layer media type")
	{
		std::string m = read_file(layout + "/blobs/sha256/" + digest_of(full).substr(7));
		std::string gz = "application/vnd.oci.image.layer.v1.tar+gzip";
		m.replace(m.find(gz), gz.size(), "application/vnd.example.squashfs");
		write_index(layout, {descriptor("application/vnd.oci.image.manifest.v1+json", add_text_blob(layout, m), "full")});
		refused("is not a tar layer");
	}
	SECTION("a layer whose uncompressed bytes are not its diff_id")
	{
		// The blobs match their digests; only the config's diff_id of the gzip layer is another
		// tar's: a layer swapped or altered before it was compressed.
		std::vector<std::string> ids;
		for (const auto &l : ls)
			ids.push_back("sha256:" + sha256sum(l.path, l.comp == Comp::gzip ? "zcat" : l.comp == Comp::zstd ? "zstdcat" : ""));
		ids[1] = ids[0];
		write_index(layout, {add_manifest(layout, ls, "full", {.diff_ids = ids})});
		refused("not to its diff_id in the image config, " + ids[0]);
	}
	SECTION("a config with fewer diff_ids than layers")
	{
		write_index(layout, {add_manifest(layout, ls, "full", {.diff_ids = {"sha256:" + sha256sum(ls[0].path)}})});
		refused("3 layers but 1 diff_ids in its config");
	}
	SECTION("an index inside the index: not followed")
	{
		Blob inner = add_text_blob(layout, read_file(layout + "/index.json"));
		std::string d = descriptor("application/vnd.oci.image.index.v1+json", inner);
		d = d.substr(0, d.size() - 1) + ", \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}}";
		write_index(layout, {add_index(layout, {d}, "full")});
		refused("has no image for platform");
	}
	SECTION("the output inside the layout")
	{
		CHECK_THROWS_WITH(build(t / "unused", layout + "/x.img", o), Contains("inside the OCI layout"));
		CHECK_FALSE(fs::exists(layout + "/x.img"));
	}
}

TEST_CASE("oci: a multi-platform image index gives the image for the platform", "[oci]")
{
	TempDir t;
	auto ls = make_layers(t);
	std::string layout = t / "layout";
	fs::create_directories(layout);
	// Another platform than this machine's: its image is the base layer alone.
	std::string here = host_platform(), other = here == "linux/s390x" ? "linux/riscv64" : "linux/s390x";
	std::string mine = add_manifest(layout, ls, "", {.platform = here, .platform_in_descriptor = true, .diff_ids = {}});
	std::string theirs = add_manifest(layout, {ls[0]}, "", {.platform = other, .platform_in_descriptor = true, .diff_ids = {}});
	std::string v6 = add_manifest(layout, {ls[0], ls[1]}, "", {.platform = "linux/arm/v6", .platform_in_descriptor = true, .diff_ids = {}});
	std::string v7 = add_manifest(layout, ls, "", {.platform = "linux/arm/v7", .platform_in_descriptor = true, .diff_ids = {}});
	// Build tools add attestation manifests with the platform unknown/unknown.
	std::string att = add_manifest(layout, {ls[0]}, "", {.platform = "unknown/unknown", .platform_in_descriptor = true, .diff_ids = {}});
	std::string index = add_index(layout, {att, theirs, mine, v6, v7}, "multi");
	write_index(layout, {index});
	build(t / "unused", t / "layers.img", layers_opts(paths_of(ls)));
	build(t / "unused", t / "base.img", layers_opts({ls[0].path}));
	Image layers = Image::open(t / "layers.img"), base = Image::open(t / "base.img");

	BuildOptions o;
	o.oci = layout + ":multi";
	BuildResult r = build(t / "unused", t / "mine.img", o);
	CHECK(r.oci_digest == digest_of(index));
	CHECK(r.oci_platform == here);
	CHECK(r.oci_manifest == digest_of(mine));
	Image img = Image::open(t / "mine.img");
	CHECK(compare_images(img, layers, true).empty());
	CHECK(img.getxattr(1, xattr_oci_digest) == digest_of(index));
	CHECK(img.getxattr(1, xattr_oci_ref) == "multi");
	CHECK(img.getxattr(1, xattr_oci_platform) == here);
	CHECK(img.getxattr(1, xattr_oci_manifest) == digest_of(mine));

	o.platform = other;
	r = build(t / "unused", t / "theirs.img", o);
	CHECK(r.oci_manifest == digest_of(theirs));
	CHECK(compare_images(Image::open(t / "theirs.img"), base, true).empty());

	o.platform = "linux/arm/v7";
	r = build(t / "unused", t / "v7.img", o);
	CHECK(r.oci_platform == "linux/arm/v7");
	CHECK(r.oci_manifest == digest_of(v7));

	fs::create_directories(t / "out");
	auto refused = [&](const std::string &why) {
		CHECK_THROWS_WITH(build(t / "unused", t / "out/x.img", o), Contains(why));
		CHECK(list_dir(t / "out").empty());
	};
	o.platform = "linux/arm";
	refused("several images for platform linux/arm (linux/arm/v6, linux/arm/v7)");
	o.platform = "linux/mips64le";
	refused("no image for platform linux/mips64le (platforms: unknown/unknown, " + other + ", " + here +
		", linux/arm/v6, linux/arm/v7)");
	// A platform for a layout whose tag names one image is a mistake, not ignored.
	std::string single = t / "single";
	fs::create_directories(single);
	write_index(single, {add_manifest(single, ls, "one")});
	o.oci = single + ":one";
	o.platform = here;
	refused("is a single image, not an index of platforms");
}

TEST_CASE("oci: the flattened tree equals umoci unpack of the same image", "[oci][umoci]")
{
	require_root();
	TempDir t;
	auto ls = make_layers(t, Comp::gzip);
	{ // a fourth layer: a hard link to a lower layer's file
		LayerWriter w(t / "l4.tar.gz", Comp::gzip);
		w.dir("./");
		w.dir("etc");
		w.hardlink("etc/passwd-link", "etc/passwd");
	}
	ls.push_back({t / "l4.tar.gz", Comp::gzip});
	std::string layout = t / "layout";
	fs::create_directories(layout);
	write_index(layout, {add_manifest(layout, ls, "full")});
	BuildOptions o;
	o.oci = layout + ":full";
	build(t / "unused", t / "oci.img", o);
	Image img = Image::open(t / "oci.img");
	std::string cmd = "umoci unpack --image '" + layout + ":full' '" + t.path() + "/bundle' >/dev/null";
	REQUIRE(std::system(cmd.c_str()) == 0);
	std::string rootfs = t / "bundle/rootfs";
	std::vector<std::string> diffs = compare_tree(rootfs, img);
	// The root's xattrs differ by the source record alone: umoci's root has none.
	std::erase(diffs, "/: xattrs differ");
	CHECK(::llistxattr(rootfs.c_str(), nullptr, 0) == 0);
	CHECK(img.xattrs(1).size() == 2);
	for (const auto &d : diffs)
		FAIL_CHECK(d);
	CHECK(diffs.empty());
	CHECK(img.resolve("/etc/passwd-link") == img.resolve("/etc/passwd"));
	CHECK(img.resolve("/opq/olddir/y"));
	CHECK_FALSE(img.resolve("/opq/olddir/x"));
}
