// SPDX-License-Identifier: GPL-2.0-only
#include "lib/daxfs/layout.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include <sys/stat.h>

#include "lib/daxfs/error.hpp"
#include "lib/format/daxfs_format.h"

namespace daxpool::daxfs {

namespace {

constexpr uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// BFS numbering from the root; unreferenced nodes (replaced tar entries) are left out.
std::vector<uint32_t> number_inodes(Tree &tree, std::vector<uint32_t> &ino_of)
{
	std::vector<uint32_t> order{0};
	ino_of.assign(tree.nodes.size(), 0);
	ino_of[0] = DAXFS_ROOT_INO;
	for (size_t i = 0; i < order.size(); i++) {
		Node &n = tree.nodes[order[i]];
		if ((n.mode & S_IFMT) != S_IFDIR)
			continue;
		std::sort(n.entries.begin(), n.entries.end(),
			  [](const Entry &a, const Entry &b) { return a.name < b.name; });
		for (size_t e = 0; e < n.entries.size(); e++) {
			const Entry &ent = n.entries[e];
			if (e && n.entries[e - 1].name == ent.name)
				throw Error("duplicate name \"" + ent.name + "\" in a directory");
			if (ent.name.empty() || ent.name.size() > DAXFS_NAME_MAX ||
			    ent.name.find('/') != std::string::npos || ent.name.find('\0') != std::string::npos ||
			    ent.name == "." || ent.name == "..")
				throw Error("invalid name \"" + ent.name + "\" (empty, longer than 255 bytes, or contains '/' or NUL)");
			if (ino_of[ent.node])
				continue; // a hard link to a node already numbered
			if (order.size() >= UINT32_MAX - 1)
				throw Error("too many inodes for one image");
			order.push_back(ent.node);
			ino_of[ent.node] = static_cast<uint32_t>(order.size());
		}
	}
	return order;
}

void put16(uint8_t *p, uint16_t v) { v = cpu_to_le16(v); std::memcpy(p, &v, 2); }
void put32(uint8_t *p, uint32_t v) { v = cpu_to_le32(v); std::memcpy(p, &v, 4); }
void put64(uint8_t *p, uint64_t v) { v = cpu_to_le64(v); std::memcpy(p, &v, 8); }

// Extent placement (docs/format.md, "File data"): big files 2 MiB aligned first, then small
// files into the gaps in inode order, appended when they do not fit the current gap.
void place_extents(const Tree &tree, Layout &l)
{
	struct Gap {
		uint64_t start, end;
	};
	std::vector<Gap> gaps;
	uint64_t end = l.data_off;
	for (uint32_t idx : l.order) {
		const Node &n = tree.nodes[idx];
		if ((n.mode & S_IFMT) != S_IFREG || n.size < DAXFS_HUGE_SIZE)
			continue;
		uint64_t at = round_up(end, DAXFS_HUGE_SIZE);
		if (at > end)
			gaps.push_back({end, at});
		l.extent[idx] = at;
		end = at + round_up(n.size, DAXFS_BLOCK_SIZE);
	}
	size_t g = 0;
	for (uint32_t idx : l.order) {
		const Node &n = tree.nodes[idx];
		if ((n.mode & S_IFMT) != S_IFREG || n.size == 0 || n.size >= DAXFS_HUGE_SIZE)
			continue;
		uint64_t span = round_up(n.size, DAXFS_BLOCK_SIZE);
		while (g < gaps.size() && gaps[g].start == gaps[g].end)
			g++;
		if (g < gaps.size() && gaps[g].end - gaps[g].start >= span) {
			l.extent[idx] = gaps[g].start;
			gaps[g].start += span;
		} else {
			l.extent[idx] = end;
			end += span;
		}
	}
	l.total_size = end;
}

} // namespace

Layout make_layout(Tree &tree, const LayoutOptions &opt)
{
	Layout l;
	std::vector<uint32_t> ino_of;
	l.order = number_inodes(tree, ino_of);
	l.inode_count = static_cast<uint32_t>(l.order.size());

	// Link counts, sizes and the build time.
	std::vector<uint32_t> nlink(tree.nodes.size(), 0);
	int64_t newest = 0;
	for (uint32_t idx : l.order) {
		const Node &n = tree.nodes[idx];
		newest = std::max(newest, n.mtime_sec);
		if ((n.mode & S_IFMT) != S_IFDIR)
			continue;
		nlink[idx] += 2;
		l.dirent_count += n.entries.size();
		for (const Entry &e : n.entries) {
			const Node &t = tree.nodes[e.node];
			if ((t.mode & S_IFMT) == S_IFDIR)
				nlink[idx]++;
			else
				nlink[e.node]++;
		}
	}
	l.build_time = opt.mtime ? *opt.mtime : opt.source_date_epoch ? *opt.source_date_epoch : newest;

	// Tables and string pool, in inode order (see docs/format.md for the order rules).
	std::vector<uint8_t> inodes(static_cast<size_t>(l.inode_count) * sizeof(struct daxfs_inode));
	std::vector<uint8_t> dirents(l.dirent_count * sizeof(struct daxfs_dirent));
	std::vector<uint8_t> xattrs;
	std::string pool;
	l.extent.assign(tree.nodes.size(), 0);
	uint64_t dcur = 0;
	for (uint32_t i = 0; i < l.inode_count; i++) {
		const Node &n = tree.nodes[l.order[i]];
		uint8_t *p = inodes.data() + static_cast<size_t>(i) * sizeof(struct daxfs_inode);
		uint32_t type = n.mode & S_IFMT;
		int64_t mt = n.mtime_sec;
		uint32_t mns = n.mtime_nsec;
		if (opt.mtime) {
			mt = *opt.mtime;
			mns = 0;
		} else if (opt.source_date_epoch && mt > *opt.source_date_epoch) {
			mt = *opt.source_date_epoch;
			mns = 0;
		}
		put16(p + offsetof(daxfs_inode, mode), static_cast<uint16_t>(n.mode & 0177777));
		put32(p + offsetof(daxfs_inode, nlink), nlink[l.order[i]]);
		put32(p + offsetof(daxfs_inode, uid), opt.all_root ? 0 : n.uid);
		put32(p + offsetof(daxfs_inode, gid), opt.all_root ? 0 : n.gid);
		put64(p + offsetof(daxfs_inode, mtime_sec), static_cast<uint64_t>(mt));
		put32(p + offsetof(daxfs_inode, mtime_nsec), mns);
		if (!n.xattrs.empty()) {
			if (n.xattrs.size() > UINT32_MAX)
				throw Error("too many xattrs on one inode");
			put64(p + offsetof(daxfs_inode, xattr_index), l.xattr_count);
			put32(p + offsetof(daxfs_inode, xattr_count), static_cast<uint32_t>(n.xattrs.size()));
			for (const Xattr &x : n.xattrs) {
				if (x.name.empty() || x.name.size() > DAXFS_XATTR_NAME_MAX ||
				    x.value.size() > DAXFS_XATTR_VALUE_MAX)
					throw Error("xattr \"" + x.name + "\": name or value too long");
				uint8_t rec[sizeof(struct daxfs_xattr)] = {};
				put64(rec + offsetof(daxfs_xattr, off), pool.size());
				put16(rec + offsetof(daxfs_xattr, name_len), static_cast<uint16_t>(x.name.size()));
				put32(rec + offsetof(daxfs_xattr, value_len), static_cast<uint32_t>(x.value.size()));
				xattrs.insert(xattrs.end(), rec, rec + sizeof rec);
				pool += x.name;
				pool += x.value;
				l.xattr_count++;
			}
		}
		switch (type) {
		case S_IFREG:
			put64(p + offsetof(daxfs_inode, size), n.size);
			l.data_bytes += n.size;
			break;
		case S_IFLNK:
			put64(p + offsetof(daxfs_inode, size), n.target.size());
			put64(p + offsetof(daxfs_inode, data), pool.size());
			pool += n.target;
			pool += '\0';
			break;
		case S_IFCHR:
		case S_IFBLK:
			put64(p + offsetof(daxfs_inode, data), static_cast<uint64_t>(n.rdev_major) << 32 | n.rdev_minor);
			break;
		case S_IFDIR: {
			uint32_t parent = i == 0 ? DAXFS_ROOT_INO : 0;
			put64(p + offsetof(daxfs_inode, size), n.entries.size());
			put64(p + offsetof(daxfs_inode, data), dcur);
			for (const Entry &e : n.entries) {
				uint8_t *d = dirents.data() + dcur * sizeof(struct daxfs_dirent);
				const Node &t = tree.nodes[e.node];
				put32(d + offsetof(daxfs_dirent, ino), ino_of[e.node]);
				put16(d + offsetof(daxfs_dirent, name_len), static_cast<uint16_t>(e.name.size()));
				d[offsetof(daxfs_dirent, type)] = static_cast<uint8_t>(daxfs_mode_to_dtype(t.mode));
				put64(d + offsetof(daxfs_dirent, name_off), pool.size());
				pool += e.name;
				dcur++;
				if ((t.mode & S_IFMT) == S_IFDIR) // the child's parent field
					put32(inodes.data() + static_cast<size_t>(ino_of[e.node] - 1) * sizeof(struct daxfs_inode) +
						      offsetof(daxfs_inode, parent),
					      i + 1);
			}
			if (i == 0)
				put32(p + offsetof(daxfs_inode, parent), parent);
			break;
		}
		default:
			break;
		}
	}
	l.str_size = pool.size();
	l.meta.reserve(inodes.size() + dirents.size() + xattrs.size() + pool.size());
	l.meta.insert(l.meta.end(), inodes.begin(), inodes.end());
	l.meta.insert(l.meta.end(), dirents.begin(), dirents.end());
	l.meta.insert(l.meta.end(), xattrs.begin(), xattrs.end());
	l.meta.insert(l.meta.end(), pool.begin(), pool.end());
	l.data_off = round_up(DAXFS_META_OFF + l.meta.size(), DAXFS_BLOCK_SIZE);
	place_extents(tree, l);
	for (uint32_t i = 0; i < l.inode_count; i++) // extents are known only now
		if (uint64_t at = l.extent[l.order[i]])
			put64(l.meta.data() + static_cast<size_t>(i) * sizeof(struct daxfs_inode) + offsetof(daxfs_inode, data), at);
	return l;
}

} // namespace daxpool::daxfs
