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
	try {
		enter(op, on_wait);
		read_epoch(op);
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
void WriterRole::enter(const char *op, void (*on_wait)())
{
	const Identity &me = self();
	HostTicket t{};
	t.choosing = 1;
	t.pid = me.pid;
	t.since = realtime_ns();
	std::strncpy(t.op, op, sizeof t.op - 1);
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
			return;
		waiting();
		pause_us(backoff);
	}
}

// The fencing epoch (docs/multihost.md, "Fencing"): read on entry; before this role's first
// store it must still be what we read, and is written one higher; before every later store it
// must still be ours (check()). A writer that resumes from a pause after another took the role
// over finds it moved.
void WriterRole::read_epoch(const char *op)
{
	LineRead r = read_line(pool_, EPOCH_OFF, entry_);
	std::strncpy(op_, op, sizeof op_ - 1);
	if (r == LineRead::Unknown || (r == LineRead::Valid && entry_.magic != EPOCH_MAGIC)) {
		// fsck --repair rewrites it (its first store bumps it from 0); nobody else writes
		// after a line that cannot be compared.
		if (std::strcmp(op, "repair") != 0)
			throw Error("the writer epoch line of pool " + pool_.display() +
				    " is unreadable (damaged); run 'daxpool fsck --pool " + pool_.display() + " --repair'");
		entry_damaged_ = true;
	}
	if (r != LineRead::Valid || entry_damaged_)
		entry_ = WriterEpoch{};
}

void WriterRole::check()
{
	host_->check_role();
	WriterEpoch now{};
	LineRead r = read_line(pool_, EPOCH_OFF, now);
	if (r == LineRead::Empty)
		now = WriterEpoch{};
	const WriterEpoch &expect = bumped_ ? epoch_ : entry_;
	if ((!bumped_ && entry_damaged_) || (r != LineRead::Unknown && std::memcmp(&now, &expect, sizeof now) == 0)) {
		if (!bumped_)
			bump_epoch();
		return;
	}
	throw Error("fenced: the writer role of pool " + pool_.display() + " was taken over (this process " +
		    (bumped_ ? "entered " + epoch_text(epoch_) : "found epoch " + std::to_string(entry_.epoch) + " on entry") +
		    "; the pool is now at " + (r == LineRead::Valid ? epoch_text(now) : std::string("an unreadable epoch line")) +
		    "). This process was paused or too slow and writes nothing more; check the pool with "
		    "'daxpool fsck --pool " + pool_.display() + "'");
}

void WriterRole::bump_epoch()
{
	WriterEpoch e{};
	e.magic = EPOCH_MAGIC;
	e.slot = slot();
	e.epoch = entry_.epoch + 1;
	e.nonce = random_nonce();
	e.time = realtime_ns();
	e.pid = self().pid;
	std::memcpy(e.op, op_, sizeof e.op);
	seal(e);
	pool_.shared().write_obj(EPOCH_OFF, e);
	pool_.shared().persist(EPOCH_OFF, LINE);
	epoch_ = e;
	bumped_ = true;
	fault_point("writer.epoch");
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
