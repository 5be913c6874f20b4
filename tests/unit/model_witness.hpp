// SPDX-License-Identifier: GPL-2.0-only
// The writer-role witness of the model test: a file naming the process that entered the
// writer role last ("PID PAUSES": PAUSES = how many lines the driver's paused file had then).
// Updated under an exclusive flock by the hosts themselves (writer.enter / writer.exit fault
// points) and read before every store to the catalog or an extent (simulator only).
//
// Entering while the witness names another process that is still running is a violation (two
// writers), unless the driver SIGSTOPped that process since it entered (a paused VM: a takeover
// of a slow-but-live holder is legitimate; what it must never do after it resumes is store).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace model {

// Running (not gone, not a zombie waiting for the driver to reap it).
inline bool pid_running(long pid)
{
	std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
	std::string all;
	if (!std::getline(f, all))
		return false;
	size_t r = all.rfind(')');
	return r != std::string::npos && r + 2 < all.size() && all[r + 2] != 'Z' && all[r + 2] != 'X';
}

// "tid state wchan" of every thread of pid, for violation messages.
inline std::string threads_of(long pid)
{
	std::string out;
	std::error_code ec;
	for (const auto &t : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
		std::ifstream st(t.path() / "stat"), wc(t.path() / "wchan");
		std::string all, w;
		std::getline(st, all);
		std::getline(wc, w);
		size_t r = all.rfind(')');
		out += " [" + t.path().filename().string() + " " + (r != std::string::npos && r + 2 < all.size() ? all.substr(r + 2, 1) : "?") +
		       " " + w + "]";
	}
	return out;
}

inline std::vector<long> paused_pids(const char *path)
{
	std::vector<long> out;
	if (!path || !*path)
		return out;
	std::ifstream f(path);
	long p;
	while (f >> p)
		out.push_back(p);
	return out;
}

class Witness {
public:
	explicit Witness(const std::string &path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {}
	~Witness()
	{
		if (fd_ >= 0)
			::close(fd_);
	}
	Witness(const Witness &) = delete;
	Witness &operator=(const Witness &) = delete;
	bool ok() const { return fd_ >= 0; }
	// Entries that took the role over from a holder paused since it entered (legitimate).
	unsigned takeovers = 0;
	// Entries of a process that was paused itself while another held the role (not recorded).
	unsigned stale_entries = 0;

	struct Holder {
		long pid = 0;
		size_t pauses = 0;
		char host[24] = {};
	};

	// Returns "" or the violation.
	std::string enter(long me, const std::string &host)
	{
		Lock l(fd_);
		Holder h = read();
		auto paused = paused_pids(std::getenv("DAXPOOL_MODEL_PAUSED"));
		if (h.pid && h.pid != me && pid_running(h.pid)) {
			bool deposed = false;
			for (size_t i = h.pauses; i < paused.size(); i++)
				deposed |= paused[i] == h.pid;
			bool ever = false, me_paused = false;
			for (long x : paused) {
				ever |= x == h.pid;
				me_paused |= x == me;
			}
			if (deposed) {
				takeovers++;
			} else if (me_paused && std::getenv("DAXPOOL_SIM_DIR")) {
				// This process was paused (e.g. while it waited with a ticket), so its own lease
				// broke: it may believe it entered, but must fail before it stores anything,
				// which the simulator's store check sees. The holder stays the holder.
				stale_entries++;
				return "";
			} else
				return "two processes in the writer role at once (the other: pid " + std::to_string(h.pid) + " of " +
				       h.host + ", not paused since it entered" + (ever ? " but paused before" : "") +
				       "; its threads:" + threads_of(h.pid) + ")";
		}
		Holder n{me, paused.size(), {}};
		std::snprintf(n.host, sizeof n.host, "%s", host.c_str());
		write(n);
		return "";
	}
	void exit(long me)
	{
		Lock l(fd_);
		if (read().pid == me)
			write({});
	}
	long holder()
	{
		Lock l(fd_);
		return read().pid;
	}

private:
	struct Lock {
		int fd;
		explicit Lock(int f) : fd(f) { ::flock(fd, LOCK_EX); }
		~Lock() { ::flock(fd, LOCK_UN); }
	};
	Holder read() const
	{
		char b[64] = {};
		Holder h;
		if (::pread(fd_, b, sizeof b - 1, 0) > 0)
			std::sscanf(b, "%ld %zu %23s", &h.pid, &h.pauses, h.host);
		return h;
	}
	void write(Holder h)
	{
		char b[64];
		int n = std::snprintf(b, sizeof b, "%ld %zu %s\n", h.pid, h.pauses, h.host[0] ? h.host : "-");
		std::string s(b, size_t(n));
		s.resize(63, ' ');
		(void)!::pwrite(fd_, s.data(), s.size(), 0);
	}
	int fd_;
};

} // namespace model
