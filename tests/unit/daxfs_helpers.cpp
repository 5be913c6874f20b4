// SPDX-License-Identifier: GPL-2.0-only
#include "daxfs_helpers.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using namespace daxpool::daxfs;

namespace daxtest {

TempDir::TempDir()
{
	const char *base = std::getenv("TMPDIR");
	std::string tmpl = std::string(base && *base ? base : "/var/tmp") + "/daxfs-test.XXXXXX";
	if (!::mkdtemp(tmpl.data()))
		throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
	path_ = tmpl;
}

TempDir::~TempDir()
{
	std::error_code ec;
	fs::remove_all(path_, ec);
}

void require_root()
{
	if (::geteuid() != 0)
		FAIL("this test needs root (mknod, chown, trusted.* and security.* xattrs): run the unit tests as root");
}

void write_file(const std::string &path, const std::string &content, unsigned mode)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		throw std::runtime_error("open " + path + ": " + std::strerror(errno));
	size_t off = 0;
	while (off < content.size()) {
		ssize_t n = ::write(fd, content.data() + off, content.size() - off);
		if (n <= 0) {
			::close(fd);
			throw std::runtime_error("write " + path);
		}
		off += static_cast<size_t>(n);
	}
	::fchmod(fd, mode);
	::close(fd);
}

void set_xattr(const std::string &path, const std::string &name, const std::string &value)
{
	if (::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) < 0)
		throw std::runtime_error("setxattr " + name + " on " + path + ": " + std::strerror(errno));
}

void set_mtime(const std::string &path, int64_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
	if (::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0)
		throw std::runtime_error("utimensat " + path + ": " + std::strerror(errno));
}

std::string read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::ostringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

std::vector<uint8_t> read_bytes(const std::string &path)
{
	std::string s = read_file(path);
	return {s.begin(), s.end()};
}

void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes)
{
	write_file(path, std::string(bytes.begin(), bytes.end()));
}

BuildResult build(const std::string &source, const std::string &image, BuildOptions o)
{
	o.source = source;
	o.output = image;
	return build_image(o);
}

std::vector<std::string> list_dir(const std::string &dir)
{
	std::vector<std::string> out;
	for (const auto &e : fs::directory_iterator(dir))
		out.push_back(e.path().filename().string());
	std::sort(out.begin(), out.end());
	return out;
}

namespace {

std::map<std::string, std::string> src_xattrs(const std::string &path)
{
	std::map<std::string, std::string> out;
	char names[65536];
	ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
	for (ssize_t i = 0; i < n;) {
		std::string name(names + i);
		i += static_cast<ssize_t>(name.size()) + 1;
		std::string v(65536, '\0');
		ssize_t l = ::lgetxattr(path.c_str(), name.c_str(), v.data(), v.size());
		v.resize(l < 0 ? 0 : static_cast<size_t>(l));
		out[name] = v;
	}
	return out;
}

} // namespace

std::vector<std::string> compare_tree(const std::string &src, const Image &img)
{
	std::vector<std::string> diffs;
	std::map<std::pair<dev_t, ino_t>, uint32_t> ident;    // source inode -> image inode
	std::map<std::pair<dev_t, ino_t>, uint32_t> names_of; // source inode -> names in the tree
	std::vector<std::pair<std::string, std::string>> queue{{src, "/"}};
	auto diff = [&](const std::string &rel, const std::string &what) { diffs.push_back(rel + ": " + what); };
	std::map<uint32_t, uint32_t> image_nlink;
	for (size_t h = 0; h < queue.size(); h++) {
		auto [path, rel] = queue[h];
		struct stat st;
		if (::lstat(path.c_str(), &st) < 0) {
			diff(rel, "lstat failed");
			continue;
		}
		auto ino = img.resolve(rel);
		if (!ino) {
			diff(rel, "missing from the image");
			continue;
		}
		Stat s = img.stat(*ino);
		if (s.mode != st.st_mode)
			diff(rel, "mode " + std::to_string(s.mode) + " != " + std::to_string(st.st_mode));
		if (s.uid != st.st_uid || s.gid != st.st_gid)
			diff(rel, "owner differs");
		if (s.mtime_sec != st.st_mtim.tv_sec || s.mtime_nsec != static_cast<uint32_t>(st.st_mtim.tv_nsec))
			diff(rel, "mtime differs");
		auto key = std::make_pair(st.st_dev, st.st_ino);
		if (!S_ISDIR(st.st_mode)) {
			auto [it, fresh] = ident.emplace(key, *ino);
			if (!fresh && it->second != *ino)
				diff(rel, "hard link identity lost");
			names_of[key]++;
			image_nlink[*ino] = s.nlink;
		}
		if (src_xattrs(path) != [&] {
			    std::map<std::string, std::string> m;
			    for (const auto &x : img.xattrs(*ino))
				    m[std::string(x.name)] = std::string(x.value);
			    return m;
		    }())
			diff(rel, "xattrs differ");
		if (S_ISREG(st.st_mode)) {
			auto d = img.data(*ino);
			std::string content = read_file(path);
			if (d.size() != content.size() || !std::equal(d.begin(), d.end(), content.begin(), content.end(),
								       [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }))
				diff(rel, "content differs");
		} else if (S_ISLNK(st.st_mode)) {
			char buf[4096];
			ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
			if (n < 0 || img.readlink(*ino) != std::string_view(buf, static_cast<size_t>(n)))
				diff(rel, "symlink target differs");
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			if (s.rdev_major != major(st.st_rdev) || s.rdev_minor != minor(st.st_rdev))
				diff(rel, "device number differs");
		} else if (S_ISDIR(st.st_mode)) {
			std::vector<std::string> want;
			uint32_t subdirs = 0;
			for (const auto &e : fs::directory_iterator(path)) {
				want.push_back(e.path().filename().string());
				if (e.symlink_status().type() == fs::file_type::directory)
					subdirs++;
			}
			std::sort(want.begin(), want.end());
			std::vector<std::string> got;
			for (const auto &e : img.readdir(*ino))
				got.emplace_back(e.name);
			if (want != got)
				diff(rel, "directory listing differs");
			if (s.nlink != 2 + subdirs)
				diff(rel, "directory nlink differs");
			for (const auto &n : want)
				queue.emplace_back(path + "/" + n, rel == "/" ? "/" + n : rel + "/" + n);
		}
	}
	for (const auto &[key, n] : names_of)
		if (image_nlink[ident[key]] != n)
			diffs.push_back("inode " + std::to_string(ident[key]) + ": nlink " +
					std::to_string(image_nlink[ident[key]]) + ", named " + std::to_string(n) + " times");
	return diffs;
}

} // namespace daxtest
