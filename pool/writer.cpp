// SPDX-License-Identifier: GPL-2.0-only
#include "pool/writer.hpp"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/host_lines.hpp"
#include "pool/identity.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

using namespace hostline;

namespace {

void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

std::string epoch_text(const WriterEpoch &e)
{
	return "epoch " + std::to_string(e.epoch) + ", entered by pid " + std::to_string(e.pid) + " of host slot " +
	       std::to_string(e.slot) + " for '" + text(e.op, sizeof e.op) + "' at " + format_time(e.time) +
	       " by its clock";
}

} // namespace

WriterRole::WriterRole(Pool &pool, const char *op, void (*on_wait)())
    : pool_(pool), lock_(pool.backend().lock_path(), on_wait)
{
	host_ = HostSession::claim(pool_);
	host_->start_beating();
	std::strncpy(op_, op, sizeof op_ - 1);
	try {
		// A writer overtaken while it waited (paused: its ticket was ignored, another entered
		// with a larger one) starts over with a new ticket.
		for (int tries = 0;; tries++) {
			WriterEpoch doorway = read_epoch();
			uint64_t t = enter(on_wait);
			if (bump_epoch(doorway, t))
				break;
			host_->write_ticket(HostTicket{});
			if (tries == 3)
				throw Error("lost the writer role of pool " + pool_.display() +
					    " while waiting for it (another host entered over this process's ticket: was it paused?); "
					    "nothing was written, run the command again");
		}
	} catch (...) {
		try {
			host_->write_ticket(HostTicket{});
		} catch (const std::exception &) {
		}
		throw;
	}
	pool_.catalog().set_guard([this](bool after) {
		try {
			check();
		} catch (const Error &e) {
			if (!after)
				throw;
			throw Error(std::string(e.what()) +
				    " (this happened while a catalog entry was being written: the writer role may have been "
				    "taken over during that write)");
		}
	});
	fault_point("writer.enter");
}

// Lamport's bakery over the ticket lines (docs/multihost.md): choose a ticket above every
// other, then wait until no host whose ticket lives is choosing or holds a smaller (ticket,
// slot). A ticket lives while its holder's beats are seen to advance (a Watch over this wait).
uint64_t WriterRole::enter(void (*on_wait)())
{
	const Identity &me = self();
	HostTicket t{};
	t.choosing = 1;
	t.pid = me.pid;
	t.since = realtime_ns();
	std::memcpy(t.op, op_, sizeof t.op);
	host_->write_ticket(t);
	Watch watch;
	bool told = false;
	auto waiting = [&] {
		host_->check_lease(); // our own slot must stay ours while we wait
		if (!told && on_wait) {
			on_wait();
			told = true;
		}
	};
	// The doorway's maximum: an unreadable ticket is never read as 0; it is read again until it
	// is readable or its host stops counting (expired or left).
	uint64_t top = 0;
	for (long backoff = 200;; backoff = std::min(backoff * 2, 20000L)) {
		bool unknown = false;
		top = 0;
		for (const auto &h : watch.look(pool_)) {
			if (h.slot == slot())
				continue;
			if (h.ticket_unknown && alive(h.liveness))
				unknown = true;
			top = std::max(top, h.ticket.ticket);
		}
		if (!unknown)
			break;
		waiting();
		pause_us(backoff);
	}
	t.choosing = 0;
	t.ticket = top + 1;
	host_->write_ticket(t);
	fault_point("writer.ticket");
	for (long backoff = 200;; backoff = std::min(backoff * 2, 20000L)) {
		bool blocked = false;
		for (const auto &h : watch.look(pool_)) {
			if (h.slot == slot() || !h.ticket_alive)
				continue;
			if (h.ticket_unknown || h.ticket.choosing ||
			    (h.ticket.ticket && (h.ticket.ticket < t.ticket || (h.ticket.ticket == t.ticket && h.slot < slot())))) {
				blocked = true;
				break;
			}
		}
		if (!blocked)
			return t.ticket;
		waiting();
		pause_us(backoff);
	}
}

// The fencing epoch (docs/multihost.md, "Fencing epoch").
WriterEpoch WriterRole::read_epoch()
{
	WriterEpoch e{};
	LineRead r = read_line(pool_, EPOCH_OFF, e);
	if (r == LineRead::Unknown || (r == LineRead::Valid && e.magic != EPOCH_MAGIC)) {
		// fsck --repair rewrites it; nobody else writes after a line that cannot be compared.
		if (std::strcmp(op_, "repair") != 0)
			throw Error("the writer epoch line of pool " + pool_.display() +
				    " is unreadable (damaged); run 'daxpool fsck --pool " + pool_.display() + " --repair'");
		damaged_ = true;
	}
	return r == LineRead::Valid && !damaged_ ? e : WriterEpoch{};
}

// Entered with ticket t: if a writer with a larger (ticket, slot) bumped the epoch since our
// doorway, it entered over our ticket (ignored while we were paused): false, start over.
// Otherwise write epoch + 1 before anything else, and read it back.
bool WriterRole::bump_epoch(const WriterEpoch &doorway, uint64_t t)
{
	WriterEpoch now = read_epoch();
	if (!damaged_ && now.epoch != doorway.epoch &&
	    (now.ticket > t || (now.ticket == t && now.slot > slot())))
		return false;
	host_->check_role();
	WriterEpoch e{};
	e.magic = EPOCH_MAGIC;
	e.slot = slot();
	e.epoch = now.epoch + 1;
	e.nonce = random_nonce();
	e.time = realtime_ns();
	e.ticket = t;
	e.pid = self().pid;
	std::memcpy(e.op, op_, sizeof e.op);
	seal(e);
	pool_.shared().write_obj(EPOCH_OFF, e);
	pool_.shared().persist(EPOCH_OFF, LINE);
	epoch_ = e;
	fault_point("writer.epoch");
	WriterEpoch back{};
	return read_line(pool_, EPOCH_OFF, back) == LineRead::Valid && std::memcmp(&back, &e, sizeof e) == 0;
}

void WriterRole::check()
{
	host_->check_role();
	WriterEpoch now{};
	LineRead r = read_line(pool_, EPOCH_OFF, now);
	if (r == LineRead::Valid && std::memcmp(&now, &epoch_, sizeof now) == 0)
		return;
	throw Error("fenced: the writer role of pool " + pool_.display() + " was taken over (this process entered " +
		    epoch_text(epoch_) + "; the pool is now at " +
		    (r == LineRead::Valid ? epoch_text(now) : std::string("an unreadable epoch line")) +
		    "). This process was paused or too slow and writes nothing more; check the pool with "
		    "'daxpool fsck --pool " + pool_.display() + "'");
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
