// SPDX-License-Identifier: GPL-2.0-only
// build_image: source → Tree → Layout → temporary file → rename (docs/format.md).
#include "lib/daxfs/build.hpp"

#include <uuid/uuid.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "lib/daxfs/digest.hpp"
#include "lib/daxfs/error.hpp"
#include "lib/daxfs/layout.hpp"
#include "lib/daxfs/oci.hpp"
#include "lib/daxfs/output.hpp"
#include "lib/daxfs/scan.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "lib/util/size.hpp"

namespace daxpool::daxfs {

namespace fs = std::filesystem;

namespace {

bool inside(const fs::path &dir, const fs::path &p)
{
	auto [s, q] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
	return s == dir.end();
}

void check_output_outside(const BuildOptions &o, const std::vector<Layer> &layers, const std::string &oci_layout)
{
	std::error_code ec;
	fs::path src = fs::weakly_canonical(o.source, ec);
	fs::path out = fs::weakly_canonical(fs::absolute(o.output), ec);
	if (ec)
		throw Error("cannot resolve " + o.output + ": " + ec.message());
	if (!oci_layout.empty()) {
		if (inside(fs::weakly_canonical(oci_layout, ec), out))
			throw Error("output " + o.output + " is inside the OCI layout " + oci_layout);
		return;
	}
	if (!layers.empty()) {
		for (const auto &l : layers)
			if (fs::weakly_canonical(l.path, ec) == out)
				throw Error("output " + o.output + " is the layer " + l.path);
		return;
	}
	if (o.tar) {
		if (out == src)
			throw Error("output " + o.output + " is the source archive");
		return;
	}
	// The output (and its temporary file, which lives next to it) must not be in the tree.
	if (inside(src, out))
		throw Error("output " + o.output + " is inside the source tree " + o.source);
}

// Sequential layout: metadata, then every extent in offset order, zeros between (holes).
using Tick = std::function<void(uint64_t)>;

void write_from_dir(const Tree &tree, const Layout &l, int fd, Hasher &h, const Tick &tick)
{
	SeqWriter w(fd, DAXFS_META_OFF, h);
	w.write(l.meta.data(), l.meta.size());
	w.zeros(l.data_off - w.pos());
	std::vector<uint32_t> files;
	for (uint32_t idx : l.order)
		if (l.extent[idx])
			files.push_back(idx);
	std::sort(files.begin(), files.end(), [&](uint32_t a, uint32_t b) { return l.extent[a] < l.extent[b]; });
	for (uint32_t idx : files) {
		const Node &n = tree.nodes[idx];
		w.zeros(l.extent[idx] - w.pos());
		util::Fd in(::open(n.src_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
		if (!in)
			throw_errno("cannot open " + n.src_path, errno);
		if (n.size > (1u << 20))
			::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
		uint64_t left = n.size;
		while (left) {
			if (!w.free())
				w.flush();
			size_t want = static_cast<size_t>(std::min<uint64_t>(left, w.free()));
			ssize_t got = ::read(in.get(), w.space(), want);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				throw_errno("cannot read " + n.src_path, errno);
			}
			if (got == 0)
				throw Error(n.src_path + ": file shrank while the image was being built");
			w.advance(static_cast<size_t>(got));
			left -= static_cast<uint64_t>(got);
			tick(w.pos());
		}
		uint64_t end = (w.pos() + DAXFS_BLOCK_SIZE - 1) & ~uint64_t(DAXFS_BLOCK_SIZE - 1);
		w.zeros(end - w.pos());
	}
	w.zeros(l.total_size - w.pos());
	w.finish();
}

// Tar: extents are written in archive order, then the image is hashed by reading it back.
void write_from_tar(const std::vector<Layer> &layers, const Tree &tree, const Layout &l, int fd, Hasher &h,
		    const BuildOptions &o)
{
	uint64_t total_written = l.meta.size();
	pwrite_all(fd, l.meta.data(), l.meta.size(), DAXFS_META_OFF, "the image");
	std::vector<uint64_t> written(tree.nodes.size(), 0);
	auto entry = [&](const Node &n) { return layers[n.src_layer].path + ": entry " + std::to_string(n.src_index); };
	read_tar_data(layers, tree, [&](uint32_t node, const void *buf, size_t len, uint64_t off) {
		const Node &n = tree.nodes[node];
		if (!l.extent[node])
			return; // replaced by a later entry of the same path: not in the image
		if (off > n.size || len > n.size - off)
			throw Error(entry(n) + " has more data than its size");
		pwrite_all(fd, buf, len, l.extent[node] + off, "the image");
		written[node] += len;
		total_written += len;
		if (o.progress)
			o.progress("write", std::min(total_written, l.total_size), l.total_size);
	});
	for (uint32_t idx : l.order)
		if (written[idx] != tree.nodes[idx].size && (tree.nodes[idx].mode & S_IFMT) == S_IFREG)
			throw Error(entry(tree.nodes[idx]) + " has less data than its size");
	std::vector<uint8_t> buf(8u << 20);
	for (uint64_t off = DAXFS_META_OFF; off < l.total_size;) {
		size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), l.total_size - off));
		ssize_t got = ::pread(fd, buf.data(), n, static_cast<off_t>(off));
		if (got <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			throw_errno("cannot read back the image", got < 0 ? errno : EIO);
		}
		h.update(buf.data(), static_cast<size_t>(got));
		off += static_cast<uint64_t>(got);
		if (o.progress)
			o.progress("hash", off, l.total_size);
	}
}

template <typename T> void put(T &field, uint64_t v)
{
	if constexpr (sizeof(T) == 2)
		field = cpu_to_le16(static_cast<uint16_t>(v));
	else if constexpr (sizeof(T) == 4)
		field = cpu_to_le32(static_cast<uint32_t>(v));
	else
		field = cpu_to_le64(v);
}

struct daxfs_super make_super(const BuildOptions &o, const Layout &l, const Digest &d, BuildResult &r)
{
	struct daxfs_super sb;
	std::memset(&sb, 0, sizeof sb);
	put(sb.magic, DAXFS_SUPER_MAGIC);
	put(sb.version, DAXFS_VERSION);
	put(sb.sb_size, sizeof sb);
	put(sb.total_size, l.total_size);
	put(sb.build_time, static_cast<uint64_t>(l.build_time));
	put(sb.inode_count, l.inode_count);
	put(sb.dirent_count, l.dirent_count);
	put(sb.xattr_count, l.xattr_count);
	put(sb.meta_off, DAXFS_META_OFF);
	put(sb.meta_size, l.meta.size());
	uint64_t dirent_off = DAXFS_META_OFF + uint64_t(l.inode_count) * sizeof(struct daxfs_inode);
	uint64_t xattr_off = dirent_off + l.dirent_count * sizeof(struct daxfs_dirent);
	put(sb.dirent_off, dirent_off);
	put(sb.xattr_off, xattr_off);
	put(sb.str_off, xattr_off + l.xattr_count * sizeof(struct daxfs_xattr));
	put(sb.str_size, l.str_size);
	put(sb.data_off, l.data_off);
	if (o.uuid) {
		r.uuid = *o.uuid;
	} else {
		// RFC 9562 version 8 (custom), variant 10, derived from the content.
		std::copy(d.begin(), d.end(), r.uuid.begin());
		r.uuid[6] = static_cast<uint8_t>((r.uuid[6] & 0x0f) | 0x80);
		r.uuid[8] = static_cast<uint8_t>((r.uuid[8] & 0x3f) | 0x80);
	}
	std::memcpy(sb.uuid, r.uuid.data(), sizeof sb.uuid);
	std::memcpy(sb.label, o.label.data(), o.label.size());
	put(sb.digest_type, DAXFS_DIGEST_XXH3_128);
	put(sb.meta_crc, daxfs_crc32c(l.meta.data(), l.meta.size()));
	std::memcpy(sb.digest, d.data(), sizeof sb.digest);
	put(sb.sb_crc, daxfs_crc32c(&sb, DAXFS_SB_CRC_LEN));
	return sb;
}

} // namespace

BuildResult build_image(const BuildOptions &o)
{
	if (o.label.size() >= DAXFS_LABEL_SIZE || o.label.find('\0') != std::string::npos)
		throw Error("label longer than 63 bytes or containing NUL");
	if (o.progress)
		o.progress("scan", 0, 0); // for an OCI layout, this includes checking every blob
	// Every source but a directory is a list of tar layers; one --tar archive is taken as it is.
	std::vector<Layer> layers;
	std::vector<Xattr> source_xattrs;
	OciImage oci;
	if (!o.oci.empty()) {
		oci = open_oci(o.oci, o.platform); // every blob checked before anything is read from it
		layers = oci.layers;
		source_xattrs.push_back({xattr_oci_digest, oci.digest});
		if (!oci.ref.empty())
			source_xattrs.push_back({xattr_oci_ref, oci.ref});
		if (!oci.platform.empty()) {
			source_xattrs.push_back({xattr_oci_platform, oci.platform});
			source_xattrs.push_back({xattr_oci_manifest, oci.manifest});
		}
	} else if (!o.layers.empty()) {
		for (const auto &p : o.layers) {
			struct stat st;
			if (::stat(p.c_str(), &st) < 0)
				throw_errno("cannot access " + p, errno);
			if (!S_ISREG(st.st_mode))
				throw Error(p + " is not a file (--tar)");
			layers.push_back({p, Compression::any, ""});
		}
	} else {
		struct stat st;
		if (::stat(o.source.c_str(), &st) < 0)
			throw_errno("cannot access " + o.source, errno);
		if (o.tar ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode))
			throw Error(o.source + (o.tar ? " is not a file (--tar)" : " is not a directory (use --tar for archives)"));
		if (o.tar)
			layers.push_back({o.source, Compression::any, ""});
	}
	bool layered = !o.oci.empty() || !o.layers.empty();
	check_output_outside(o, layered ? layers : std::vector<Layer>{}, oci.layout);

	Tree tree = layered ? scan_layers(layers) : o.tar ? scan_tar(o.source) : scan_dir(o.source);
	for (auto &x : source_xattrs) {
		auto &xs = tree.nodes[0].xattrs;
		std::erase_if(xs, [&](const Xattr &y) { return y.name == x.name; });
		xs.push_back(std::move(x));
		std::sort(xs.begin(), xs.end(), [](const Xattr &a, const Xattr &b) { return a.name < b.name; });
	}
	Layout l = make_layout(tree, {o.mtime, o.source_date_epoch, o.all_root});
	if (o.max_size && l.total_size > *o.max_size)
		throw Error("the image would be " + util::format_size(l.total_size) + " (" + std::to_string(l.total_size) +
			    " bytes), over the limit of " + util::format_size(*o.max_size));

	TempFile out(o.output);
	if (::ftruncate(out.fd(), static_cast<off_t>(l.total_size)) < 0)
		throw_errno("cannot size " + out.path(), errno);
	Hasher h;
	if (o.progress)
		o.progress("write", 0, l.total_size);
	if (!layers.empty())
		write_from_tar(layers, tree, l, out.fd(), h, o);
	else
		write_from_dir(tree, l, out.fd(), h, [&](uint64_t done) {
			if (o.progress)
				o.progress("write", done, l.total_size);
		});
	BuildResult r;
	r.digest = h.final();
	r.size = l.total_size;
	r.inodes = l.inode_count;
	r.data_bytes = l.data_bytes;
	r.oci_digest = oci.digest;
	r.oci_ref = oci.ref;
	r.oci_platform = oci.platform;
	r.oci_manifest = oci.manifest;
	struct daxfs_super sb = make_super(o, l, r.digest, r);
	pwrite_all(out.fd(), &sb, sizeof sb, 0, out.path());
	out.commit();
	return r;
}

std::optional<std::array<uint8_t, 16>> parse_uuid(const std::string &s)
{
	uuid_t parsed;
	if (s.size() != 36 || ::uuid_parse(s.c_str(), parsed) != 0)
		return std::nullopt;
	std::array<uint8_t, 16> u{};
	std::copy(std::begin(parsed), std::end(parsed), u.begin());
	return u;
}

} // namespace daxpool::daxfs
