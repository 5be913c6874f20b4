// SPDX-License-Identifier: GPL-2.0-only
#include "pool/writer.hpp"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/identity.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

namespace {

void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

} // namespace

WriterRole::WriterRole(Pool &pool, const char *op, void (*on_wait)())
    : pool_(pool), lock_(pool.backend().lock_path(), on_wait)
{
	host_ = HostSession::claim(pool_);
	host_->start_beating();
	try {
		enter(op, on_wait);
	} catch (...) {
		try {
			host_->write_ticket(HostTicket{});
		} catch (const std::exception &) {
		}
		throw;
	}
	pool_.catalog().set_guard([this](bool after) {
		try {
			host_->check_role();
		} catch (const Error &e) {
			if (!after)
				throw;
			throw Error(std::string(e.what()) +
				    " (the lease broke while a catalog entry was being written: the writer role may have been "
				    "taken over during that write)");
		}
	});
	fault_point("writer.enter");
}

// Lamport's bakery over the ticket lines (docs/multihost.md): choose a ticket above every
// other, then wait until no alive host is choosing or holds a smaller (ticket, slot).
void WriterRole::enter(const char *op, void (*on_wait)())
{
	const Identity &me = self();
	HostTicket t{};
	t.choosing = 1;
	t.pid = me.pid;
	t.since = realtime_ns();
	std::strncpy(t.op, op, sizeof t.op - 1);
	host_->write_ticket(t);
	uint64_t top = 0;
	for (const auto &h : read_hosts(pool_))
		if (h.slot != slot())
			top = std::max(top, h.ticket.ticket);
	t.choosing = 0;
	t.ticket = top + 1;
	host_->write_ticket(t);
	fault_point("writer.ticket");
	bool told = false;
	long backoff = 200;
	for (;;) {
		bool blocked = false;
		for (const auto &h : read_hosts(pool_)) {
			if (h.slot == slot() || !h.ticket_alive)
				continue;
			if (h.ticket_torn || h.ticket.choosing ||
			    (h.ticket.ticket && (h.ticket.ticket < t.ticket || (h.ticket.ticket == t.ticket && h.slot < slot())))) {
				blocked = true;
				break;
			}
		}
		if (!blocked)
			return;
		host_->check_lease(); // our own slot must stay ours while we wait
		if (!told && on_wait) {
			on_wait();
			told = true;
		}
		pause_us(backoff);
		backoff = std::min(backoff * 2, 20000L);
	}
}

WriterRole::~WriterRole()
{
	fault_point("writer.exit");
	pool_.catalog().set_guard(nullptr);
	try {
		host_->write_ticket(HostTicket{});
	} catch (const std::exception &) {
		// Our slot is no longer ours (reported by the write that failed): no ticket to clear.
	}
	host_->stop_beating();
}

} // namespace daxpool::pool
