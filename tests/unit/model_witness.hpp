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
	// strict: entering while another running, not paused holder is named is a violation by
	// itself (the file-backed model test, which has no store check). Otherwise (simulator)
	// such an entry is counted, and the store rule decides.
	Witness(const std::string &path, bool strict)
	    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)), strict_(strict)
	{
	}
	~Witness()
	{
		if (fd_ >= 0)
			::close(fd_);
	}
	Witness(const Witness &) = delete;
	Witness &operator=(const Witness &) = delete;
	bool ok() const { return fd_ >= 0; }
	// Entries over a holder the driver paused since it entered (legitimate takeovers), and
	// entries over a running holder that was not paused (simulator: allowed as long as the two
	// never both store, e.g. one of them is paused itself or its lease broke on a busy machine).
	unsigned takeovers = 0, overlaps = 0;

	// Returns "" or the violation.
	std::string enter(long me, const std::string &host)
	{
		Lock l(fd_);
		State st = read();
		auto paused = paused_pids(std::getenv("DAXPOOL_MODEL_PAUSED"));
		if (st.holder && st.holder != me && pid_running(st.holder)) {
			bool deposed = false, ever = false;
			for (size_t i = 0; i < paused.size(); i++) {
				deposed |= i >= st.pauses && paused[i] == st.holder;
				ever |= paused[i] == st.holder;
			}
			if (deposed)
				takeovers++;
			else if (!strict_)
				overlaps++;
			else
				return "two processes in the writer role at once (the other: pid " + std::to_string(st.holder) +
				       " of " + st.host + ", not paused since it entered" + (ever ? " but paused before" : "") +
				       "; its threads:" + threads_of(st.holder) + ")";
		}
		st.holder = me;
		st.pauses = paused.size();
		std::snprintf(st.host, sizeof st.host, "%s", host.c_str());
		entered_ = ++st.seq;
		write(st);
		return "";
	}
	void exit(long me)
	{
		Lock l(fd_);
		State st = read();
		if (st.holder == me) {
			st.holder = 0;
			write(st);
		}
	}
	long holder()
	{
		Lock l(fd_);
		return read().holder;
	}
	// Before every store of this process to the catalog or an extent (simulator): the store
	// before it, if another process's, was made before this process entered the role. Two
	// writers whose stores interleave (a deposed writer that stores after its successor did,
	// or two holders at once) are caught at the first store that crosses the other's.
	std::string store(long me, uint64_t off)
	{
		Lock l(fd_);
		State st = read();
		std::string v;
		if (!entered_)
			v = "a store to pool offset " + std::to_string(off) + " (catalog or extent) by pid " +
			    std::to_string(me) + ", which never entered the writer role";
		else if (st.last_storer && st.last_storer != me && st.last_store > entered_)
			v = "a store to pool offset " + std::to_string(off) + " (catalog or extent) by pid " + std::to_string(me) +
			    ", in the writer role since event " + std::to_string(entered_) + ", after pid " +
			    std::to_string(st.last_storer) + " stored (event " + std::to_string(st.last_store) +
			    "): two writers' stores interleave (the witness names pid " + std::to_string(st.holder) +
			    " as the last to enter)";
		st.last_storer = me;
		st.last_store = ++st.seq;
		write(st);
		return v;
	}

private:
	struct Lock {
		int fd;
		explicit Lock(int f) : fd(f) { ::flock(fd, LOCK_EX); }
		~Lock() { ::flock(fd, LOCK_UN); }
	};
	// "HOLDER PAUSES HOST SEQ LAST_STORER LAST_STORE": the last process to enter, how many lines
	// the paused file had then, its host; the event counter; who stored last, at which event.
	struct State {
		long holder = 0, last_storer = 0;
		size_t pauses = 0;
		unsigned long long seq = 0, last_store = 0;
		char host[24] = {};
	};
	State read() const
	{
		char b[160] = {};
		State st;
		if (::pread(fd_, b, sizeof b - 1, 0) > 0)
			std::sscanf(b, "%ld %zu %23s %llu %ld %llu", &st.holder, &st.pauses, st.host, &st.seq, &st.last_storer,
				    &st.last_store);
		return st;
	}
	void write(const State &st)
	{
		char b[160];
		int n = std::snprintf(b, sizeof b, "%ld %zu %s %llu %ld %llu\n", st.holder, st.pauses,
				      st.host[0] ? st.host : "-", st.seq, st.last_storer, st.last_store);
		std::string s(b, size_t(n));
		s.resize(159, ' ');
		(void)!::pwrite(fd_, s.data(), s.size(), 0);
	}
	int fd_;
	bool strict_;
	unsigned long long entered_ = 0; // the event at which this process last entered
};

} // namespace model
