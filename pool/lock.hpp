// SPDX-License-Identifier: GPL-2.0-only
// The writer lock of a pool on this host: flock(2) on $DAXPOOL_LOCK_DIR/<pool uuid>.lock
// (default /run/daxpool). Writers serialise on it; readers never take it. The kernel drops it
// when its holder dies, which is what lets a later writer prove that a WRITING entry's writer
// on this host and boot is gone.
#pragma once

#include <string>

#include "lib/util/fd.hpp"

namespace daxpool::pool {

std::string lock_dir();

class WriterLock {
public:
	// Blocks until the lock is held (calls on_wait once first if someone else holds it).
	explicit WriterLock(const std::string &pool_uuid, void (*on_wait)() = nullptr);
	// Held by nobody right now (a non-blocking probe, released at once)?
	static bool is_free(const std::string &pool_uuid);

private:
	util::Fd fd_;
};

} // namespace daxpool::pool
