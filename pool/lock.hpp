// SPDX-License-Identifier: GPL-2.0-only
// The writer lock of a pool on this host: flock(2) on the pool's own file or device node. The
// same inode is the same lock for every process of the host, whatever its mount namespace or
// /run (a lock file keyed by name could be two locks for one pool). Writers serialise on it;
// readers never wait for it. The kernel drops it when its holder dies, which is what lets a
// later writer prove that a WRITING entry's writer on this host and boot is gone.
#pragma once

#include <string>

#include "lib/util/fd.hpp"

namespace daxpool::pool {

class WriterLock {
public:
	// Blocks until the lock on PATH is held (calls on_wait once first if someone holds it).
	explicit WriterLock(const std::string &path, void (*on_wait)() = nullptr);
	// Takes the lock only if nobody holds it; nullopt-like: held() is false otherwise.
	static WriterLock try_lock(const std::string &path);
	bool held() const { return static_cast<bool>(fd_); }
	// Held by nobody right now? (a non-blocking shared probe, released at once)
	static bool is_free(const std::string &path);

private:
	WriterLock() = default;
	util::Fd fd_;
};

} // namespace daxpool::pool
