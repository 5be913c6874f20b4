// SPDX-License-Identifier: GPL-2.0-only
// scan_tar / scan_layers / read_tar_data: a tar archive (any format and compression libarchive
// reads), or tar layers applied in order with OCI whiteouts, as a Tree, and the file contents in
// a second streaming pass (the builder never holds contents).
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <map>
#include <memory>
#include <unordered_map>

#include "lib/daxfs/error.hpp"
#include "lib/daxfs/scan.hpp"
#include "lib/daxfs/sha.hpp"
#include "lib/format/daxfs_format.h"

namespace daxpool::daxfs {

namespace {

struct ArchiveFree {
	void operator()(struct archive *a) const noexcept { archive_read_free(a); }
};
using Archive = std::unique_ptr<struct archive, ArchiveFree>;

// "PATH: libarchive's message", saying how a layer was read.
std::string read_error(const std::string &path, struct archive *a, Compression c)
{
	static constexpr const char *names[] = {"", "uncompressed", "gzip", "zstd"};
	std::string what = path + ": " + archive_error_string(a);
	if (c != Compression::any)
		what += std::string(" (read as a tar layer, ") + names[static_cast<int>(c)] + ", as its media type says)";
	return what;
}

Archive open_archive(const std::string &path, Compression c)
{
	Archive a(archive_read_new());
	if (!a)
		throw Error("cannot allocate an archive reader");
	switch (c) {
	case Compression::any:
		archive_read_support_filter_all(a.get());
		archive_read_support_format_all(a.get());
		break;
	case Compression::none: // an OCI layer: a tar, compressed only as its media type says
		archive_read_support_format_tar(a.get());
		break;
	case Compression::gzip:
		archive_read_support_filter_gzip(a.get());
		archive_read_support_format_tar(a.get());
		break;
	case Compression::zstd:
		archive_read_support_filter_zstd(a.get());
		archive_read_support_format_tar(a.get());
		break;
	}
	if (archive_read_open_filename(a.get(), path.c_str(), 1u << 20) != ARCHIVE_OK)
		throw Error(read_error(path, a.get(), c));
	return a;
}

// Calls fn(archive, entry, index) for every header of an open archive in order; read errors
// throw.
template <typename Fn> void each_entry(struct archive *a, const std::string &path, Compression c, Fn fn)
{
	struct archive_entry *e;
	for (uint64_t index = 0;; index++) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return;
		if (r < ARCHIVE_WARN)
			throw Error(read_error(path, a, c));
		fn(a, e, index);
	}
}

template <typename Fn> void for_each_entry(const std::string &path, Compression c, Fn fn)
{
	Archive a = open_archive(path, c);
	each_entry(a.get(), path, c, fn);
}

// An OCI layer decompressed by one reader (format "raw") and read as a tar by a second one
// through a callback, every uncompressed byte hashed on its way: the layer's diff_id in the same
// pass that reads its headers.
class HashedLayer {
public:
	explicit HashedLayer(const Layer &l) : l_(l), sha_(l.diff_id.substr(0, l.diff_id.find(':'))), buf_(1u << 20)
	{
		raw_.reset(archive_read_new());
		tar_.reset(archive_read_new());
		if (!raw_ || !tar_)
			throw Error("cannot allocate an archive reader");
		if (l.compression == Compression::gzip)
			archive_read_support_filter_gzip(raw_.get());
		else if (l.compression == Compression::zstd)
			archive_read_support_filter_zstd(raw_.get());
		archive_read_support_format_raw(raw_.get());
		struct archive_entry *e;
		if (archive_read_open_filename(raw_.get(), l.path.c_str(), 1u << 20) != ARCHIVE_OK ||
		    archive_read_next_header(raw_.get(), &e) != ARCHIVE_OK)
			throw Error(read_error(l.path, raw_.get(), l.compression));
		archive_read_support_format_tar(tar_.get());
		if (archive_read_open(tar_.get(), this, nullptr, read_cb, nullptr) != ARCHIVE_OK)
			throw Error(read_error(l.path, tar_.get(), l.compression));
	}

	struct archive *tar() { return tar_.get(); }

	// Reads what the tar reader left (end-of-archive blocks, padding) and checks the digest.
	void finish()
	{
		la_ssize_t n;
		while ((n = archive_read_data(raw_.get(), buf_.data(), buf_.size())) > 0)
			sha_.update(buf_.data(), static_cast<size_t>(n));
		if (n < 0)
			throw Error(read_error(l_.path, raw_.get(), l_.compression));
		std::string got = l_.diff_id.substr(0, l_.diff_id.find(':') + 1) + sha_.hex();
		if (got != l_.diff_id)
			throw Error(l_.path + ": the layer's uncompressed bytes hash to " + got +
				    ", not to its diff_id in the image config, " + l_.diff_id);
	}

private:
	static la_ssize_t read_cb(struct archive *tar, void *self, const void **out)
	{
		auto *h = static_cast<HashedLayer *>(self);
		la_ssize_t n = archive_read_data(h->raw_.get(), h->buf_.data(), h->buf_.size());
		if (n < 0) {
			archive_set_error(tar, archive_errno(h->raw_.get()), "%s", archive_error_string(h->raw_.get()));
			return -1;
		}
		h->sha_.update(h->buf_.data(), static_cast<size_t>(n));
		*out = h->buf_.data();
		return n;
	}

	const Layer &l_;
	Sha sha_;
	std::vector<uint8_t> buf_;
	Archive raw_, tar_;
};

// "./a//b/" -> {"a", "b"}; ".." is refused.
std::vector<std::string> split(const std::string &archive, const char *p)
{
	std::vector<std::string> out;
	std::string s = p ? p : "";
	size_t i = 0;
	while (i <= s.size()) {
		size_t j = s.find('/', i);
		if (j == std::string::npos)
			j = s.size();
		std::string c = s.substr(i, j - i);
		if (c == "..")
			throw Error(archive + ": entry " + s + " contains '..'");
		if (!c.empty() && c != ".") {
			if (c.size() > DAXFS_NAME_MAX)
				throw Error(archive + ": entry " + s + ": name longer than 255 bytes");
			out.push_back(std::move(c));
		}
		i = j + 1;
	}
	return out;
}

// The tree being built, with each name's layer: the layer that last put it, or a name below it,
// there. An opaque directory keeps only the names of its own layer (recursively), which is what
// overlayfs shows for a directory marked opaque in an upper layer over the lower ones.
class TarTree {
public:
	TarTree()
	{
		t_.nodes.emplace_back();
		t_.nodes[0].mode = S_IFDIR | 0755;
		kids_.emplace_back();
	}

	void begin_layer(const std::string &archive, uint32_t layer)
	{
		archive_ = archive;
		layer_ = layer;
	}

	// The directory at comps[0 .. n), created (0755, 0:0, mtime 0) where missing.
	uint32_t dir(const std::vector<std::string> &comps, size_t n, const std::string &path)
	{
		uint32_t cur = 0;
		for (size_t i = 0; i < n; i++) {
			auto it = kids_[cur].find(comps[i]);
			if (it == kids_[cur].end()) {
				uint32_t idx = add(Node{});
				t_.nodes[idx].mode = S_IFDIR | 0755;
				kids_[cur].emplace(comps[i], Kid{idx, layer_});
				cur = idx;
				continue;
			}
			if ((t_.nodes[it->second.node].mode & S_IFMT) != S_IFDIR)
				throw Error(archive_ + ": " + path + ": a parent is not a directory");
			it->second.layer = layer_;
			cur = it->second.node;
		}
		return cur;
	}

	std::optional<uint32_t> find(const std::vector<std::string> &comps)
	{
		uint32_t cur = 0;
		for (const auto &c : comps) {
			auto it = kids_[cur].find(c);
			if (it == kids_[cur].end())
				return std::nullopt;
			cur = it->second.node;
		}
		return cur;
	}

	bool is_dir(uint32_t node) const { return (t_.nodes[node].mode & S_IFMT) == S_IFDIR; }

	void put(const std::vector<std::string> &comps, Node n, const std::string &path)
	{
		if (comps.empty()) { // the root itself
			if ((n.mode & S_IFMT) != S_IFDIR)
				throw Error(archive_ + ": " + path + ": the root is not a directory");
			n.entries.clear();
			t_.nodes[0] = std::move(n);
			return;
		}
		uint32_t parent = dir(comps, comps.size() - 1, path);
		auto it = kids_[parent].find(comps.back());
		if (it != kids_[parent].end() && is_dir(it->second.node) && (n.mode & S_IFMT) == S_IFDIR) {
			t_.nodes[it->second.node] = std::move(n); // keep its children
			it->second.layer = layer_;
			return;
		}
		uint32_t idx = add(std::move(n));
		kids_[parent][comps.back()] = Kid{idx, layer_};
	}

	void link(const std::vector<std::string> &comps, uint32_t target, const std::string &path)
	{
		if (comps.empty())
			throw Error(archive_ + ": " + path + ": hard link to the root");
		if (is_dir(target))
			throw Error(archive_ + ": " + path + ": hard link to a directory");
		uint32_t parent = dir(comps, comps.size() - 1, path);
		kids_[parent][comps.back()] = Kid{target, layer_};
	}

	// ".wh.NAME": NAME (and all below it) is gone from the layers under this one.
	void whiteout(const std::vector<std::string> &comps, const std::string &name, const std::string &path)
	{
		uint32_t parent = dir(comps, comps.size() - 1, path);
		kids_[parent].erase(name);
	}

	// ".wh..wh..opq": the directory holding it shows only this layer's names.
	void opaque(const std::vector<std::string> &comps, const std::string &path)
	{
		std::vector<uint32_t> todo{dir(comps, comps.size() - 1, path)};
		while (!todo.empty()) {
			uint32_t d = todo.back();
			todo.pop_back();
			for (auto it = kids_[d].begin(); it != kids_[d].end();) {
				if (it->second.layer != layer_) {
					it = kids_[d].erase(it);
					continue;
				}
				if (is_dir(it->second.node))
					todo.push_back(it->second.node);
				++it;
			}
		}
	}

	Tree finish()
	{
		for (size_t i = 0; i < t_.nodes.size(); i++) {
			auto &e = t_.nodes[i].entries;
			e.clear();
			for (auto &[name, kid] : kids_[i]) // std::map: sorted by bytes
				e.push_back({name, kid.node});
		}
		return std::move(t_);
	}

	const std::string &archive() const { return archive_; }

private:
	struct Kid {
		uint32_t node;
		uint32_t layer;
	};

	uint32_t add(Node n)
	{
		if (t_.nodes.size() >= UINT32_MAX - 1)
			throw Error(archive_ + ": too many entries");
		t_.nodes.push_back(std::move(n));
		kids_.emplace_back();
		return static_cast<uint32_t>(t_.nodes.size() - 1);
	}

	std::string archive_;
	uint32_t layer_ = 0;
	Tree t_;
	std::vector<std::map<std::string, Kid>> kids_;
};

Node node_of(const std::string &archive, struct archive_entry *e, uint64_t index, const std::string &path)
{
	Node n;
	n.mode = archive_entry_mode(e);
	n.uid = static_cast<uint32_t>(archive_entry_uid(e));
	n.gid = static_cast<uint32_t>(archive_entry_gid(e));
	n.mtime_sec = archive_entry_mtime(e);
	n.mtime_nsec = static_cast<uint32_t>(archive_entry_mtime_nsec(e));
	n.src_index = index;
	switch (n.mode & S_IFMT) {
	case S_IFREG:
		n.size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
		break;
	case S_IFLNK: {
		const char *t = archive_entry_symlink(e);
		n.target = t ? t : "";
		if (n.target.empty() || n.target.size() > DAXFS_SYMLINK_MAX)
			throw Error(archive + ": " + path + ": symlink target empty or longer than 4095 bytes");
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		n.rdev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
		n.rdev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
		if (n.rdev_major > DAXFS_DEV_MAJOR_MAX || n.rdev_minor > DAXFS_DEV_MINOR_MAX)
			throw Error(archive + ": " + path + ": device number outside the kernel's 12:20 bit range");
		break;
	case S_IFDIR:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		throw Error(archive + ": " + path + ": unsupported file type");
	}
	archive_entry_xattr_reset(e);
	const char *name;
	const void *value;
	size_t size;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		Xattr x{name, std::string(static_cast<const char *>(value), size)};
		static constexpr const char *prefixes[] = {"user.", "trusted.", "security.", "system."};
		bool ok = std::any_of(std::begin(prefixes), std::end(prefixes), [&](const char *p) {
			return x.name.size() > std::strlen(p) && x.name.compare(0, std::strlen(p), p) == 0;
		});
		if (!ok || x.name.size() > DAXFS_XATTR_NAME_MAX || x.value.size() > DAXFS_XATTR_VALUE_MAX)
			throw Error(archive + ": " + path + ": xattr " + x.name + " unsupported (namespace or size)");
		n.xattrs.push_back(std::move(x));
	}
	// pax archives may carry an xattr twice (SCHILY.xattr and LIBARCHIVE.xattr): the last wins.
	std::stable_sort(n.xattrs.begin(), n.xattrs.end(), [](const Xattr &a, const Xattr &b) { return a.name < b.name; });
	std::vector<Xattr> unique;
	for (auto &x : n.xattrs) {
		if (!unique.empty() && unique.back().name == x.name)
			unique.back() = std::move(x);
		else
			unique.push_back(std::move(x));
	}
	n.xattrs = std::move(unique);
	return n;
}

} // namespace

namespace {

constexpr std::string_view wh_prefix = ".wh.";
constexpr std::string_view wh_meta_prefix = ".wh..wh.";
constexpr std::string_view wh_opaque = ".wh..wh..opq";

// One header into the tree; with whiteouts, ".wh." names are applied instead of stored.
void add_entry(TarTree &tree, struct archive_entry *e, uint64_t index, uint32_t layer, bool whiteouts)
{
	const std::string &archive = tree.archive();
	const char *p = archive_entry_pathname(e);
	std::string path = p ? p : "";
	std::vector<std::string> comps = split(archive, p);
	if (whiteouts && !comps.empty() && comps.back().starts_with(wh_prefix)) {
		const std::string &base = comps.back();
		if (base == wh_opaque) {
			tree.opaque(comps, path);
			return;
		}
		if (base.starts_with(wh_meta_prefix))
			throw Error(archive + ": " + path + ": unsupported whiteout metadata entry (only " +
				    std::string(wh_opaque) + " is defined)");
		std::string name = base.substr(wh_prefix.size());
		if (name.empty() || name == "." || name == "..")
			throw Error(archive + ": " + path + ": whiteout of '" + name + "', which names no file");
		tree.whiteout(comps, name, path);
		return;
	}
	if (const char *hl = archive_entry_hardlink(e)) {
		auto target = tree.find(split(archive, hl));
		if (!target)
			throw Error(archive + ": " + path + ": hard link to " + hl + ", which is not in the archive before it");
		tree.link(comps, *target, path);
		return;
	}
	Node n = node_of(archive, e, index, path);
	n.src_layer = layer;
	tree.put(comps, std::move(n), path);
}

} // namespace

Tree scan_tar(const std::string &archive)
{
	TarTree tree;
	tree.begin_layer(archive, 0);
	for_each_entry(archive, Compression::any, [&](struct archive *a, struct archive_entry *e, uint64_t index) {
		add_entry(tree, e, index, 0, false);
		archive_read_data_skip(a);
	});
	return tree.finish();
}

Tree scan_layers(const std::vector<Layer> &layers)
{
	TarTree tree;
	for (uint32_t li = 0; li < layers.size(); li++) {
		const Layer &l = layers[li];
		// Layer numbers start at 1 so that the root's implicit names (layer 0) are below all.
		tree.begin_layer(l.path, li + 1);
		auto entry = [&](struct archive *a, struct archive_entry *e, uint64_t index) {
			add_entry(tree, e, index, li, true);
			archive_read_data_skip(a);
		};
		if (l.diff_id.empty()) {
			for_each_entry(l.path, l.compression, entry);
		} else {
			HashedLayer h(l);
			each_entry(h.tar(), l.path, l.compression, entry);
			h.finish();
		}
	}
	return tree.finish();
}

void read_tar_data(const std::vector<Layer> &layers, const Tree &tree, const TarSink &sink)
{
	std::vector<std::unordered_map<uint64_t, uint32_t>> by_index(layers.size());
	for (uint32_t i = 0; i < tree.nodes.size(); i++) {
		const Node &n = tree.nodes[i];
		if ((n.mode & S_IFMT) == S_IFREG && n.size && n.src_layer < layers.size())
			by_index[n.src_layer].emplace(n.src_index, i);
	}
	for (size_t li = 0; li < layers.size(); li++) {
		if (by_index[li].empty())
			continue;
		const std::string &archive = layers[li].path;
		for_each_entry(archive, layers[li].compression, [&](struct archive *a, struct archive_entry *e, uint64_t index) {
			auto it = by_index[li].find(index);
			if (it == by_index[li].end() || archive_entry_hardlink(e))
				return;
			const void *buf;
			size_t len;
			la_int64_t off;
			int r;
			while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
				sink(it->second, buf, len, static_cast<uint64_t>(off));
			if (r != ARCHIVE_EOF)
				throw Error(archive + ": " + archive_error_string(a));
		});
	}
}

} // namespace daxpool::daxfs
