// SPDX-License-Identifier: GPL-2.0-only
// The catalog writer role across hosts (docs/multihost.md, "The catalog writer role"): the
// host-local flock of pool/lock.hpp, then a bakery ticket in this host's slot, kept valid by
// heartbeats from a thread; before its first write, a new writer epoch. While it is held, every catalog write and
// image chunk first checks the lease and the epoch (Catalog::check_writer).
#pragma once

#include <memory>

#include "pool/hosts.hpp"
#include "pool/lock.hpp"

namespace daxpool::pool {

class Pool;

class WriterRole {
public:
	// Blocks until this process holds the role; on_wait (may be null) is called once if it
	// has to wait (for a process of this host or for another host). op: "load", "unload", ...
	WriterRole(Pool &pool, const char *op, void (*on_wait)() = nullptr);
	~WriterRole();
	WriterRole(const WriterRole &) = delete;
	WriterRole &operator=(const WriterRole &) = delete;

	uint32_t slot() const { return host_->slot(); }
	HostSession &host() { return *host_; }
	// Throws Error when this process may no longer write: its lease broke, its claim or ticket
	// was overwritten, or the writer epoch moved ("fenced": another process took the role over
	// while this one was paused). Called before every catalog write and image chunk.
	void check();
	// fsck --repair: the epoch line was unreadable on entry and this role rewrote it.
	bool rewrote_damaged_epoch() const { return damaged_; }

private:
	uint64_t enter(void (*on_wait)());
	WriterEpoch read_epoch();
	bool bump_epoch(const WriterEpoch &doorway, uint64_t ticket);
	WriterEpoch epoch_{}; // as written by this role
	bool damaged_ = false; // the epoch line was unreadable on entry (fsck --repair only)
	char op_[16] = {};
	Pool &pool_;
	WriterLock lock_;
	std::unique_ptr<HostSession> host_;
};

} // namespace daxpool::pool
