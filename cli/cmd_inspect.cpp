// SPDX-License-Identifier: GPL-2.0-only
// daxpool inspect IMAGE [PATH] [--json]: the superblock and the tree, or one file's metadata.
#include <cstdio>
#include <memory>

#include <sys/stat.h>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "lib/daxfs/build.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/daxfs/image.hpp"
#include "lib/util/size.hpp"
#include "lib/util/hex.hpp"
#include "lib/util/time.hpp"

namespace daxpool::cli {

namespace {

using daxfs::Image;
using daxfs::Stat;

std::string label_of(const daxfs_super &sb)
{
	return std::string(reinterpret_cast<const char *>(sb.label)); // validated: NUL-terminated
}

std::array<uint8_t, 16> uuid_of(const daxfs_super &sb)
{
	std::array<uint8_t, 16> u;
	std::copy(std::begin(sb.uuid), std::end(sb.uuid), u.begin());
	return u;
}

std::string time_string(int64_t sec, uint32_t nsec) { return util::format_utc(sec, nsec); }

// Printable values as text, others as hex.
std::string value_string(std::string_view v)
{
	bool text = std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
	if (text)
		return "\"" + std::string(v) + "\"";
	return "0x" + util::hex({reinterpret_cast<const uint8_t *>(v.data()), v.size()});
}

Json stat_json(const Image &img, const std::string &path, const Stat &s)
{
	Json o = json_obj();
	add(o.get(), "path", path);
	add(o.get(), "ino", s.ino);
	add(o.get(), "mode", daxfs::mode_string(s.mode));
	add(o.get(), "mode_octal", static_cast<uint64_t>(s.mode));
	add(o.get(), "nlink", s.nlink);
	add(o.get(), "uid", s.uid);
	add(o.get(), "gid", s.gid);
	add(o.get(), "size", s.size);
	json_object_object_add(o.get(), "mtime_sec", json_object_new_int64(s.mtime_sec));
	add(o.get(), "mtime_nsec", s.mtime_nsec);
	if (S_ISREG(s.mode))
		add(o.get(), "data_offset", s.data_offset);
	if (S_ISDIR(s.mode))
		add(o.get(), "parent", s.parent);
	if (S_ISLNK(s.mode))
		add(o.get(), "target", std::string(img.readlink(s.ino)));
	if (S_ISCHR(s.mode) || S_ISBLK(s.mode)) {
		add(o.get(), "rdev_major", s.rdev_major);
		add(o.get(), "rdev_minor", s.rdev_minor);
	}
	if (s.xattr_count) {
		Json xs = json_arr();
		for (const auto &x : img.xattrs(s.ino)) {
			Json xo = json_obj();
			add(xo.get(), "name", std::string(x.name));
			add(xo.get(), "value_hex", util::hex({reinterpret_cast<const uint8_t *>(x.value.data()), x.value.size()}));
			push(xs.get(), std::move(xo));
		}
		add(o.get(), "xattrs", std::move(xs));
	}
	return o;
}

void print_line(const Image &img, const std::string &path, const Stat &s)
{
	std::string extra;
	if (S_ISLNK(s.mode))
		extra = " -> " + std::string(img.readlink(s.ino));
	else if (S_ISCHR(s.mode) || S_ISBLK(s.mode))
		extra = " [" + std::to_string(s.rdev_major) + ":" + std::to_string(s.rdev_minor) + "]";
	std::printf("%8u %s %3u %5u:%-5u %12llu %s%s\n", s.ino, daxfs::mode_string(s.mode).c_str(), s.nlink, s.uid,
		    s.gid, static_cast<unsigned long long>(s.size), path.c_str(), extra.c_str());
}

Json super_json(const Image &img)
{
	const daxfs_super &sb = img.super();
	Json o = json_obj();
	add(o.get(), "version", static_cast<unsigned>(le16_to_cpu(sb.version)));
	add(o.get(), "uuid", util::format_uuid(uuid_of(sb)));
	add(o.get(), "label", label_of(sb));
	json_object_object_add(o.get(), "build_time", json_object_new_int64(static_cast<int64_t>(le64_to_cpu(sb.build_time))));
	add(o.get(), "total_size", le64_to_cpu(sb.total_size));
	add(o.get(), "inodes", static_cast<uint64_t>(le32_to_cpu(sb.inode_count)));
	add(o.get(), "dirents", le64_to_cpu(sb.dirent_count));
	add(o.get(), "xattrs", le64_to_cpu(sb.xattr_count));
	add(o.get(), "meta_size", le64_to_cpu(sb.meta_size));
	add(o.get(), "data_off", le64_to_cpu(sb.data_off));
	add(o.get(), "compat", static_cast<uint64_t>(le32_to_cpu(sb.compat)));
	add(o.get(), "incompat", static_cast<uint64_t>(le32_to_cpu(sb.incompat)));
	add(o.get(), "digest", "xxh3-128:" + util::hex(sb.digest));
	return o;
}

void print_super(const Image &img)
{
	const daxfs_super &sb = img.super();
	std::printf("daxfs v%u image, %s (%llu bytes)\n", le16_to_cpu(sb.version),
		    util::format_size(le64_to_cpu(sb.total_size)).c_str(),
		    static_cast<unsigned long long>(le64_to_cpu(sb.total_size)));
	std::printf("uuid       %s\nlabel      %s\nbuilt      %s\n", util::format_uuid(uuid_of(sb)).c_str(),
		    label_of(sb).c_str(), time_string(static_cast<int64_t>(le64_to_cpu(sb.build_time)), 0).c_str());
	std::printf("inodes     %u\ndirents    %llu\nxattrs     %llu\nmetadata   %s at %llu\ndata       from %llu\n",
		    le32_to_cpu(sb.inode_count), static_cast<unsigned long long>(le64_to_cpu(sb.dirent_count)),
		    static_cast<unsigned long long>(le64_to_cpu(sb.xattr_count)),
		    util::format_size(le64_to_cpu(sb.meta_size)).c_str(),
		    static_cast<unsigned long long>(le64_to_cpu(sb.meta_off)),
		    static_cast<unsigned long long>(le64_to_cpu(sb.data_off)));
	std::printf("features   compat %#x incompat %#x\ndigest     xxh3-128:%s\n", le32_to_cpu(sb.compat),
		    le32_to_cpu(sb.incompat), util::hex(sb.digest).c_str());
}

// Where the image came from: the OCI image recorded on its root (docs/format.md, "Source").
struct Source {
	std::string oci_digest, oci_ref, oci_platform, oci_manifest;
};

Source source_of(const Image &img)
{
	Source s;
	if (auto d = img.getxattr(1, daxfs::xattr_oci_digest))
		s.oci_digest = *d;
	if (auto r = img.getxattr(1, daxfs::xattr_oci_ref))
		s.oci_ref = *r;
	if (auto p = img.getxattr(1, daxfs::xattr_oci_platform))
		s.oci_platform = *p;
	if (auto m = img.getxattr(1, daxfs::xattr_oci_manifest))
		s.oci_manifest = *m;
	return s;
}

} // namespace

void add_inspect(CLI::App &app)
{
	auto *cmd = app.add_subcommand("inspect", "show a daxfs image's superblock and tree, or one file's metadata");
	struct Opts {
		std::string image, path;
		bool json = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("IMAGE", o->image, "image file")->required();
	cmd->add_option("PATH", o->path, "a path in the image (\"/etc/passwd\"): show only its metadata");
	cmd->add_flag("-j,--json", o->json, "print JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		Image img = Image::open(o->image);
		if (!o->path.empty()) {
			auto ino = img.resolve(o->path);
			if (!ino)
				throw Error(o->path + ": no such file in " + o->image);
			Stat s = img.stat(*ino);
			if (o->json) {
				print(stat_json(img, o->path, s).get());
				return;
			}
			print_line(img, o->path, s);
			std::printf("mtime %s\n", time_string(s.mtime_sec, s.mtime_nsec).c_str());
			if (S_ISREG(s.mode))
				std::printf("extent %llu (+%llu)\n", static_cast<unsigned long long>(s.data_offset),
					    static_cast<unsigned long long>(s.size));
			for (const auto &x : img.xattrs(*ino))
				std::printf("xattr %.*s = %s\n", static_cast<int>(x.name.size()), x.name.data(),
					    value_string(x.value).c_str());
			return;
		}
		if (o->json) {
			Json root = json_obj();
			add(root.get(), "superblock", super_json(img));
			Source src = source_of(img);
			if (!src.oci_digest.empty())
				add(root.get(), "oci_digest", src.oci_digest);
			if (!src.oci_ref.empty())
				add(root.get(), "oci_ref", src.oci_ref);
			if (!src.oci_platform.empty())
				add(root.get(), "oci_platform", src.oci_platform);
			if (!src.oci_manifest.empty())
				add(root.get(), "oci_manifest", src.oci_manifest);
			Json tree = json_arr();
			daxfs::walk(img, [&](const std::string &p, uint32_t ino) {
				push(tree.get(), stat_json(img, p, img.stat(ino)));
			});
			add(root.get(), "tree", std::move(tree));
			print(root.get());
			return;
		}
		print_super(img);
		if (Source src = source_of(img); !src.oci_digest.empty())
			std::printf("source     OCI image %s%s%s\n", src.oci_digest.c_str(), src.oci_ref.empty() ? "" : ", tag ",
				    src.oci_ref.c_str());
		if (Source src = source_of(img); !src.oci_platform.empty())
			std::printf("platform   %s, manifest %s\n", src.oci_platform.c_str(), src.oci_manifest.c_str());
		std::printf("\n");
		daxfs::walk(img, [&](const std::string &p, uint32_t ino) { print_line(img, p, img.stat(ino)); });
	});
}

} // namespace daxpool::cli
