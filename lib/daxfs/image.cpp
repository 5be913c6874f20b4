// SPDX-License-Identifier: GPL-2.0-only
#include "lib/daxfs/image.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace daxpool::daxfs {

namespace {

void *zalloc(size_t n, void *) { return std::calloc(n ? n : 1, 1); }
void zfree(void *p, void *) { std::free(p); }
const daxfs_alloc user_alloc = {zalloc, zfree, nullptr};

std::string_view as_sv(const uint8_t *p, size_t n) { return {reinterpret_cast<const char *>(p), n}; }

} // namespace

Image::Image(util::Mapping m, const uint8_t *base, uint64_t len) : map_(std::move(m)), base_(base)
{
	daxfs_verr err;
	if (daxfs_validate(base, len, &user_alloc, &err) != DAXFS_OK)
		throw InvalidImage(err.code, err.ino, std::string(daxfs_verr_str(err.code)) + ": " + err.msg);
	const daxfs_super &sb = super();
	total_ = le64_to_cpu(sb.total_size);
	icount_ = le32_to_cpu(sb.inode_count);
	dirent_off_ = le64_to_cpu(sb.dirent_off);
	xattr_off_ = le64_to_cpu(sb.xattr_off);
	str_off_ = le64_to_cpu(sb.str_off);
}

Image Image::open(const std::string &path)
{
	util::Mapping m;
	try {
		m = util::Mapping::open(path);
	} catch (const std::system_error &e) {
		throw Error(e.what());
	}
	auto b = m.bytes();
	return Image(std::move(m), b.data(), b.size());
}

Image Image::borrow(std::span<const uint8_t> bytes) { return Image(util::Mapping(), bytes.data(), bytes.size()); }

const daxfs_inode &Image::inode(uint32_t ino) const
{
	if (ino < 1 || ino > icount_)
		throw Error("inode " + std::to_string(ino) + " out of range");
	return reinterpret_cast<const daxfs_inode *>(base_ + DAXFS_META_OFF)[ino - 1];
}

Stat Image::stat(uint32_t ino) const
{
	const daxfs_inode &in = inode(ino);
	Stat s{};
	s.ino = ino;
	s.mode = le16_to_cpu(in.mode);
	s.nlink = le32_to_cpu(in.nlink);
	s.uid = le32_to_cpu(in.uid);
	s.gid = le32_to_cpu(in.gid);
	s.size = le64_to_cpu(in.size);
	s.mtime_sec = static_cast<int64_t>(le64_to_cpu(in.mtime_sec));
	s.mtime_nsec = le32_to_cpu(in.mtime_nsec);
	s.parent = le32_to_cpu(in.parent);
	s.xattr_count = le32_to_cpu(in.xattr_count);
	uint64_t data = le64_to_cpu(in.data);
	if (S_ISCHR(s.mode) || S_ISBLK(s.mode)) {
		s.rdev_major = static_cast<uint32_t>(data >> 32);
		s.rdev_minor = static_cast<uint32_t>(data);
	} else if (S_ISREG(s.mode)) {
		s.data_offset = data;
	}
	return s;
}

std::optional<DirEntry> Image::dirent(uint32_t dir, uint64_t index) const
{
	const daxfs_inode &in = inode(dir);
	if (!S_ISDIR(le16_to_cpu(in.mode)) || index >= le64_to_cpu(in.size))
		return std::nullopt;
	const auto &d = reinterpret_cast<const daxfs_dirent *>(base_ + dirent_off_)[le64_to_cpu(in.data) + index];
	return DirEntry{str(le64_to_cpu(d.name_off), le16_to_cpu(d.name_len)), le32_to_cpu(d.ino), d.type};
}

std::vector<DirEntry> Image::readdir(uint32_t dir) const
{
	std::vector<DirEntry> out;
	for (uint64_t i = 0;; i++) {
		auto e = dirent(dir, i);
		if (!e)
			return out;
		out.push_back(*e);
	}
}

std::optional<uint32_t> Image::lookup(uint32_t dir, std::string_view name) const
{
	const daxfs_inode &in = inode(dir);
	if (!S_ISDIR(le16_to_cpu(in.mode)))
		return std::nullopt;
	const daxfs_dirent *d = reinterpret_cast<const daxfs_dirent *>(base_ + dirent_off_) + le64_to_cpu(in.data);
	uint64_t lo = 0, hi = le64_to_cpu(in.size);
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const uint8_t *n = base_ + str_off_ + le64_to_cpu(d[mid].name_off);
		int c = daxfs_name_cmp(n, le16_to_cpu(d[mid].name_len), reinterpret_cast<const uint8_t *>(name.data()),
				       static_cast<u32>(name.size()));
		if (c == 0)
			return le32_to_cpu(d[mid].ino);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return std::nullopt;
}

std::optional<uint32_t> Image::resolve(std::string_view path) const
{
	uint32_t cur = DAXFS_ROOT_INO;
	while (!path.empty()) {
		size_t slash = path.find('/');
		std::string_view c = path.substr(0, slash);
		path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
		if (c.empty() || c == ".")
			continue;
		if (c == "..") {
			cur = le32_to_cpu(inode(cur).parent);
			continue;
		}
		auto next = lookup(cur, c);
		if (!next)
			return std::nullopt;
		cur = *next;
	}
	return cur;
}

std::span<const uint8_t> Image::data(uint32_t ino) const
{
	const daxfs_inode &in = inode(ino);
	if (!S_ISREG(le16_to_cpu(in.mode)))
		throw Error("inode " + std::to_string(ino) + " is not a regular file");
	uint64_t size = le64_to_cpu(in.size);
	if (!size)
		return {};
	return {base_ + le64_to_cpu(in.data), static_cast<size_t>(size)};
}

size_t Image::read(uint32_t ino, uint64_t offset, std::span<uint8_t> out) const
{
	auto d = data(ino);
	if (offset >= d.size())
		return 0;
	size_t n = std::min<uint64_t>(out.size(), d.size() - offset);
	std::memcpy(out.data(), d.data() + offset, n);
	return n;
}

std::string_view Image::readlink(uint32_t ino) const
{
	const daxfs_inode &in = inode(ino);
	if (!S_ISLNK(le16_to_cpu(in.mode)))
		throw Error("inode " + std::to_string(ino) + " is not a symlink");
	return str(le64_to_cpu(in.data), le64_to_cpu(in.size));
}

std::vector<XattrView> Image::xattrs(uint32_t ino) const
{
	const daxfs_inode &in = inode(ino);
	std::vector<XattrView> out;
	const daxfs_xattr *x = reinterpret_cast<const daxfs_xattr *>(base_ + xattr_off_) + le64_to_cpu(in.xattr_index);
	for (uint32_t i = 0; i < le32_to_cpu(in.xattr_count); i++) {
		const uint8_t *p = base_ + str_off_ + le64_to_cpu(x[i].off);
		uint16_t nl = le16_to_cpu(x[i].name_len);
		out.push_back({as_sv(p, nl), as_sv(p + nl, le32_to_cpu(x[i].value_len))});
	}
	return out;
}

std::optional<std::string_view> Image::getxattr(uint32_t ino, std::string_view name) const
{
	for (const auto &x : xattrs(ino))
		if (x.name == name)
			return x.value;
	return std::nullopt;
}

void walk(const Image &img, const std::function<void(const std::string &path, uint32_t ino)> &fn)
{
	struct Frame {
		uint32_t dir;
		uint64_t next;
		std::string path;
	};
	fn("/", DAXFS_ROOT_INO);
	std::vector<Frame> stack{{DAXFS_ROOT_INO, 0, ""}};
	while (!stack.empty()) {
		Frame &f = stack.back();
		auto e = img.dirent(f.dir, f.next++);
		if (!e) {
			stack.pop_back();
			continue;
		}
		std::string path = f.path + "/" + std::string(e->name);
		fn(path, e->ino);
		if (e->type == DAXFS_DT_DIR)
			stack.push_back({e->ino, 0, std::move(path)}); // f is invalid from here
	}
}

std::string mode_string(uint32_t mode)
{
	std::string s = "?---------";
	switch (mode & S_IFMT) {
	case S_IFREG: s[0] = '-'; break;
	case S_IFDIR: s[0] = 'd'; break;
	case S_IFLNK: s[0] = 'l'; break;
	case S_IFCHR: s[0] = 'c'; break;
	case S_IFBLK: s[0] = 'b'; break;
	case S_IFIFO: s[0] = 'p'; break;
	case S_IFSOCK: s[0] = 's'; break;
	}
	static const char rwx[] = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		if (mode & (0400u >> i))
			s[1 + i] = rwx[i];
	if (mode & S_ISUID)
		s[3] = (mode & 0100) ? 's' : 'S';
	if (mode & S_ISGID)
		s[6] = (mode & 010) ? 's' : 'S';
	if (mode & S_ISVTX)
		s[9] = (mode & 01) ? 't' : 'T';
	return s;
}

} // namespace daxpool::daxfs
