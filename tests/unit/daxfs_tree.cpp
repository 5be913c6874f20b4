// SPDX-License-Identifier: GPL-2.0-only
#include "daxfs_tree.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <stdexcept>
#include <vector>

#include "daxfs_helpers.hpp"

namespace daxtest {

namespace {

void check(int r, const std::string &what)
{
	if (r < 0)
		throw std::runtime_error(what + ": " + std::strerror(errno));
}

void make_socket(const std::string &path)
{
	int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
	check(s, "socket");
	struct sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	if (path.size() >= sizeof a.sun_path)
		throw std::runtime_error("socket path too long: " + path);
	std::strcpy(a.sun_path, path.c_str());
	int r = ::bind(s, reinterpret_cast<struct sockaddr *>(&a), sizeof a);
	::close(s);
	check(r, "bind " + path);
}

std::string pattern(size_t n, unsigned seed)
{
	std::string s(n, '\0');
	uint32_t x = seed * 2654435761u + 1;
	for (auto &c : s) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		c = static_cast<char>(x);
	}
	return s;
}

} // namespace

void make_tree(const std::string &d, bool reverse, bool big, bool socket)
{
	// vfs_cap_data v2: cap_net_bind_service permitted+effective.
	const std::string cap("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
	std::vector<std::function<void()>> steps = {
		[&] { check(::mkdir((d + "/dir").c_str(), 0755), "mkdir"); },
		[&] { check(::mkdir((d + "/dir/sub").c_str(), 0700), "mkdir"); },
		[&] { check(::mkdir((d + "/dir/sub/deeper").c_str(), 0750), "mkdir"); },
		[&] {
			check(::mkdir((d + "/emptydir").c_str(), 0), "mkdir");
			check(::chmod((d + "/emptydir").c_str(), 01777), "chmod");
		},
		[&] { write_file(d + "/hello.txt", "hello, daxfs\n"); },
		[&] { write_file(d + "/empty", ""); },
		[&] { write_file(d + "/dir/page", pattern(4096, 1)); },
		[&] { write_file(d + "/dir/sub/odd", pattern(12345, 2), 0600); },
		[&] { write_file(d + "/dir/sub/deeper/setuid", "#!/bin/sh\n", 04755); },
		[&] { write_file(d + "/" + long_name, "long name\n"); },
		[&] { write_file(d + "/" + utf8_name, "utf-8 name\n"); },
		[&] { write_file(d + "/" + latin1_name, "latin-1 name\n"); },
		[&] { write_file(d + "/caps", "binary with capabilities\n", 0755); },
		[&] { write_file(d + "/xattrs", "xattrs\n"); },
		[&] { write_file(d + "/owned", "owned by 1234:5678\n"); },
		[&] {
			write_file(d + "/linked", "three names\n");
			check(::link((d + "/linked").c_str(), (d + "/dir/link2").c_str()), "link");
			check(::link((d + "/linked").c_str(), (d + "/dir/sub/link3").c_str()), "link");
		},
		[&] { check(::symlink("hello.txt", (d + "/symlink").c_str()), "symlink"); },
		[&] { check(::symlink("../../hello.txt", (d + "/dir/sub/uplink").c_str()), "symlink"); },
		[&] { check(::symlink(std::string(4000, 'x').c_str(), (d + "/longlink").c_str()), "symlink"); },
		[&] { check(::symlink("/nonexistent/target", (d + "/dangling").c_str()), "symlink"); },
		[&] { check(::mknod((d + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), "mknod chr"); },
		[&] { check(::mknod((d + "/loop0").c_str(), S_IFBLK | 0660, makedev(7, 0)), "mknod blk"); },
		[&] { check(::mknod((d + "/bigdev").c_str(), S_IFCHR | 0600, makedev(4095, 1048575)), "mknod"); },
		[&] { check(::mkfifo((d + "/fifo").c_str(), 0640), "mkfifo"); },
	};
	if (socket)
		steps.push_back([&] { make_socket(d + "/sock"); });
	if (big)
		steps.push_back([&] { write_file(d + "/dir/big3m", pattern(3u << 20, 3)); });
	if (reverse) {
		// Parents must exist first: run directory creation forward, the rest backward.
		for (size_t i = 0; i < 4; i++)
			steps[i]();
		for (size_t i = steps.size(); i-- > 4;)
			steps[i]();
	} else {
		for (auto &s : steps)
			s();
	}
	set_xattr(d + "/xattrs", "user.mime_type", "text/plain");
	set_xattr(d + "/xattrs", "user.empty", "");
	set_xattr(d + "/xattrs", "trusted.overlay.opaque", "y");
	set_xattr(d + "/xattrs", "user.binary", std::string("\x00\x01\x02\xff", 4));
	set_xattr(d + "/caps", "security.capability", cap);
	set_xattr(d + "/dir", "user.on_a_dir", "yes");
	set_xattr(d + "/symlink", "trusted.on_a_symlink", "ok");
	check(::lchown((d + "/owned").c_str(), 1234, 5678), "chown");
	check(::lchown((d + "/symlink").c_str(), 42, 43), "lchown");
	// Fixed mtimes (with nanoseconds), deepest first so directory mtimes stick.
	const char *paths[] = {"hello.txt", "empty", "dir/page", "dir/sub/odd", "dir/sub/deeper/setuid", "caps",
			       "xattrs", "owned", "linked", "symlink", "dir/sub/uplink", "longlink", "dangling",
			       "null", "loop0", "bigdev", "fifo", "dir/sub/deeper", "dir/sub", "dir", "emptydir"};
	int64_t t = 1700000000;
	for (const char *p : paths)
		set_mtime(d + "/" + p, t++, 123456789);
	for (const std::string &p : {long_name, utf8_name, latin1_name})
		set_mtime(d + "/" + p, t++, 5);
	if (socket)
		set_mtime(d + "/sock", t++, 0);
	if (big)
		set_mtime(d + "/dir/big3m", t++, 999999999);
	set_mtime(d + "/dir", 1600000000, 1);
	set_mtime(d, 1650000000, 2);
}

} // namespace daxtest
