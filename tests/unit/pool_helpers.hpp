// SPDX-License-Identifier: GPL-2.0-only
// Shared by the pool tests: a temporary directory (which is also the writer-lock directory),
// daxfs images built with the builder from small generated trees, running the daxpool binary,
// and reading a pool file's bytes.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/daxfs/build.hpp"

namespace test {

namespace fs = std::filesystem;

// A fresh directory, removed at the end. On /dev/shm (tmpfs) when there is one: msync
// of a pool file is then cheap, which keeps hundreds of crash trials fast; the code paths are
// the same as on a disk. $DAXPOOL_TEST_TMPDIR overrides the place.
inline fs::path test_base()
{
	if (const char *t = std::getenv("DAXPOOL_TEST_TMPDIR"); t && *t)
		return t;
	if (::access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	return fs::temp_directory_path();
}

class TempDir {
public:
	TempDir()
	{
		std::string tmpl = (test_base() / "daxpool-test-XXXXXX").string();
		if (!::mkdtemp(tmpl.data()))
			throw std::runtime_error("mkdtemp failed");
		path_ = tmpl;
	}
	~TempDir()
	{
		std::error_code ec;
		fs::remove_all(path_, ec);
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	std::string operator/(const std::string &name) const { return (path_ / name).string(); }
	const fs::path &path() const { return path_; }

private:
	fs::path path_;
};

inline void write_file(const std::string &path, const std::string &data)
{
	std::ofstream f(path, std::ios::binary);
	f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline std::string read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary | std::ios::ate);
	if (!f)
		return {};
	std::string s(static_cast<size_t>(f.tellg()), '\0');
	f.seekg(0);
	f.read(s.data(), static_cast<std::streamsize>(s.size()));
	return s;
}

// A daxfs image of a generated tree: one file of big_bytes pseudo-random bytes (seeded), a few
// small ones. Returns the image path.
inline std::string make_image(const TempDir &dir, const std::string &name, uint64_t big_bytes, unsigned seed = 1)
{
	fs::path tree = dir.path() / ("tree-" + name);
	fs::create_directories(tree / "sub");
	std::mt19937_64 rng(seed);
	std::string big(big_bytes, '\0');
	for (auto &c : big)
		c = static_cast<char>(rng());
	write_file((tree / "big").string(), big);
	write_file((tree / "sub" / "hello").string(), "hello " + name + "\n");
	write_file((tree / "small").string(), std::string(100, 'x'));
	daxpool::daxfs::BuildOptions b;
	b.source = tree.string();
	b.output = dir / (name + ".img");
	b.mtime = 1700000000;
	daxpool::daxfs::build_image(b);
	return b.output;
}

// A pool file's bytes without its host table (v1 geometry: 0x10000..0x50000): what a refused
// command must leave unchanged. The host table is this host's own slot (claim, heartbeat,
// writer ticket), which every writer updates before it looks at the catalog (docs/multihost.md).
inline std::string pool_bytes(const std::string &path)
{
	std::string s = read_file(path);
	// The host table and the writer epoch are protocol state: a refused command may beat,
	// and a writer bumps the epoch as it enters the role.
	if (s.size() >= 0x50000) {
		std::fill(s.begin() + 0x10000, s.begin() + 0x50000, '\0');
		std::fill(s.begin() + 0x2000, s.begin() + 0x2040, '\0');
	}
	return s;
}

struct Fd {
	int fd;
	explicit Fd(int f) : fd(f) {}
	~Fd()
	{
		if (fd >= 0)
			::close(fd);
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
};

struct Run {
	int status = -1;    // exit status, or -1 when killed
	int signal = 0;     // the signal that killed it
	std::string out, err;
	bool ok() const { return status == 0; }
};

// A running daxpool process whose output goes to temporary files.
struct Child {
	pid_t pid = -1;
	std::string out_path, err_path;
};

inline Child spawn_exe(const std::string &exe, const std::vector<std::string> &args,
		       const std::map<std::string, std::string> &env = {})
{
	char outt[] = "/tmp/daxpool-out-XXXXXX", errt[] = "/tmp/daxpool-err-XXXXXX";
	int of = ::mkstemp(outt), ef = ::mkstemp(errt);
	pid_t pid = ::fork();
	if (pid == 0) {
		::dup2(of, 1);
		::dup2(ef, 2);
		int devnull = ::open("/dev/null", O_RDONLY);
		::dup2(devnull, 0);
		for (const auto &[k, v] : env) {
			if (k == "@uid") { // run as this user (and group) id instead
				uid_t id = static_cast<uid_t>(std::stoul(v));
				if (::setgroups(0, nullptr) < 0 || ::setgid(id) < 0 || ::setuid(id) < 0)
					::_exit(126);
				continue;
			}
			::setenv(k.c_str(), v.c_str(), 1);
		}
		std::vector<char *> argv;
		std::string exe_copy = exe;
		argv.push_back(exe_copy.data());
		std::vector<std::string> copy = args;
		for (auto &a : copy)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		::execv(exe_copy.c_str(), argv.data());
		::_exit(127);
	}
	::close(of);
	::close(ef);
	return {pid, outt, errt};
}

inline Child spawn_cli(const std::vector<std::string> &args, const std::map<std::string, std::string> &env = {})
{
	return spawn_exe(DAXPOOL_EXE, args, env);
}

inline Run wait_cli(const Child &c)
{
	int st = 0;
	::waitpid(c.pid, &st, 0);
	Run r;
	if (WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		r.signal = WTERMSIG(st);
	r.out = read_file(c.out_path);
	r.err = read_file(c.err_path);
	::unlink(c.out_path.c_str());
	::unlink(c.err_path.c_str());
	return r;
}

// Runs the daxpool binary with args and extra environment. kill_after_us > 0: SIGKILL after
// that many microseconds if still running.
inline Run run_cli(const std::vector<std::string> &args, const std::map<std::string, std::string> &env = {},
		   long kill_after_us = 0)
{
	Child c = spawn_cli(args, env);
	if (kill_after_us > 0) {
		::usleep(static_cast<useconds_t>(kill_after_us));
		::kill(c.pid, SIGKILL);
	}
	return wait_cli(c);
}

} // namespace test
