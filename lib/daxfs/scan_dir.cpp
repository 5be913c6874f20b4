// SPDX-License-Identifier: GPL-2.0-only
// scan_dir: a directory tree into a Tree, breadth-first, names sorted by bytes.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cstring>
#include <cerrno>
#include <map>
#include <memory>
#include <utility>

#include "lib/daxfs/error.hpp"
#include "lib/daxfs/scan.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"

namespace daxpool::daxfs {

namespace {

using util::Fd;

void fill_common(Node &n, const struct stat &st)
{
	n.mode = st.st_mode;
	n.uid = st.st_uid;
	n.gid = st.st_gid;
	n.mtime_sec = st.st_mtim.tv_sec;
	n.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
}

std::vector<Xattr> read_xattrs(const std::string &path)
{
	std::vector<Xattr> out;
	std::string names;
	for (;;) {
		ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
		if (n < 0) {
			if (errno == ENOTSUP)
				return out;
			throw_errno("cannot list xattrs of " + path, errno);
		}
		if (n == 0)
			return out;
		names.resize(static_cast<size_t>(n));
		n = ::llistxattr(path.c_str(), names.data(), names.size());
		if (n >= 0) {
			names.resize(static_cast<size_t>(n));
			break;
		}
		if (errno != ERANGE)
			throw_errno("cannot list xattrs of " + path, errno);
	}
	for (size_t pos = 0; pos < names.size();) {
		std::string name(names.c_str() + pos);
		pos += name.size() + 1;
		if (name.empty())
			continue;
		std::string value;
		for (;;) {
			ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
			if (n < 0) {
				if (errno == ENODATA)
					break; // removed meanwhile
				throw_errno("cannot read xattr " + name + " of " + path, errno);
			}
			value.resize(static_cast<size_t>(n));
			n = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
			if (n >= 0) {
				value.resize(static_cast<size_t>(n));
				break;
			}
			if (errno != ERANGE)
				throw_errno("cannot read xattr " + name + " of " + path, errno);
		}
		out.push_back({std::move(name), std::move(value)});
	}
	std::sort(out.begin(), out.end(), [](const Xattr &a, const Xattr &b) { return a.name < b.name; });
	return out;
}

std::vector<std::string> read_names(int dfd, const std::string &path)
{
	int fd = ::dup(dfd);
	if (fd < 0)
		throw_errno("cannot read directory " + path, errno);
	std::unique_ptr<DIR, util::DirClose> dir(::fdopendir(fd));
	if (!dir) {
		::close(fd);
		throw_errno("cannot read directory " + path, errno);
	}
	std::vector<std::string> names;
	for (;;) {
		errno = 0;
		struct dirent *de = ::readdir(dir.get());
		if (!de) {
			if (errno)
				throw_errno("cannot read directory " + path, errno);
			break;
		}
		if (!std::strcmp(de->d_name, ".") || !std::strcmp(de->d_name, ".."))
			continue;
		names.emplace_back(de->d_name);
	}
	std::sort(names.begin(), names.end()); // by bytes: char_traits<char> compares as unsigned char
	return names;
}

} // namespace

Tree scan_dir(const std::string &root)
{
	Tree t;
	struct stat st;
	Fd rootfd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!rootfd)
		throw_errno("cannot open source directory " + root, errno);
	if (::fstat(rootfd.get(), &st) < 0)
		throw_errno("cannot stat " + root, errno);
	t.nodes.emplace_back();
	fill_common(t.nodes[0], st);
	t.nodes[0].xattrs = read_xattrs(root);

	std::map<std::pair<dev_t, ino_t>, uint32_t> links; // non-directories with st_nlink > 1
	std::vector<std::pair<uint32_t, std::string>> queue{{0, root}};
	for (size_t head = 0; head < queue.size(); head++) {
		uint32_t dir = queue[head].first;
		std::string dpath = std::move(queue[head].second);
		Fd dfd(head == 0 ? ::dup(rootfd.get())
				 : ::open(dpath.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (!dfd)
			throw_errno("cannot open directory " + dpath, errno);
		std::vector<std::string> names = read_names(dfd.get(), dpath);
		std::vector<Entry> entries;
		entries.reserve(names.size());
		for (auto &name : names) {
			std::string path = join_path(dpath, name);
			if (name.size() > DAXFS_NAME_MAX)
				throw Error(path + ": name longer than 255 bytes");
			if (::fstatat(dfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
				throw_errno("cannot stat " + path, errno);
			if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
				auto it = links.find({st.st_dev, st.st_ino});
				if (it != links.end()) {
					entries.push_back({std::move(name), it->second});
					continue;
				}
			}
			uint32_t idx = static_cast<uint32_t>(t.nodes.size());
			if (idx == UINT32_MAX)
				throw Error(path + ": too many inodes for one image");
			Node n;
			fill_common(n, st);
			switch (st.st_mode & S_IFMT) {
			case S_IFREG:
				n.size = static_cast<uint64_t>(st.st_size);
				n.src_path = path;
				break;
			case S_IFLNK: {
				char buf[DAXFS_SYMLINK_MAX + 1];
				ssize_t len = ::readlinkat(dfd.get(), name.c_str(), buf, sizeof buf);
				if (len < 0)
					throw_errno("cannot read symlink " + path, errno);
				if (len == 0 || static_cast<size_t>(len) > DAXFS_SYMLINK_MAX)
					throw Error(path + ": symlink target longer than 4095 bytes");
				n.target.assign(buf, static_cast<size_t>(len));
				break;
			}
			case S_IFCHR:
			case S_IFBLK:
				n.rdev_major = ::major(st.st_rdev);
				n.rdev_minor = ::minor(st.st_rdev);
				if (n.rdev_major > DAXFS_DEV_MAJOR_MAX || n.rdev_minor > DAXFS_DEV_MINOR_MAX)
					throw Error(path + ": device number outside the kernel's 12:20 bit range");
				break;
			case S_IFDIR:
				queue.emplace_back(idx, path);
				break;
			case S_IFIFO:
			case S_IFSOCK:
				break;
			default:
				throw Error(path + ": unsupported file type");
			}
			n.xattrs = read_xattrs(path);
			if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
				links.emplace(std::make_pair(st.st_dev, st.st_ino), idx);
			t.nodes.push_back(std::move(n));
			entries.push_back({std::move(name), idx});
		}
		t.nodes[dir].entries = std::move(entries);
	}
	return t;
}

} // namespace daxpool::daxfs
