// SPDX-License-Identifier: GPL-2.0-only
// The catalog writer role across hosts (docs/multihost.md, "The catalog writer role"): the
// host-local flock of pool/lock.hpp, then a bakery ticket in this host's slot, kept valid by
// heartbeats from a thread. While it is held, every catalog write and image chunk first checks
// the lease (Catalog::check_writer).
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

private:
	void enter(const char *op, void (*on_wait)());
	Pool &pool_;
	WriterLock lock_;
	std::unique_ptr<HostSession> host_;
};

} // namespace daxpool::pool
