// SPDX-License-Identifier: GPL-2.0-only
// This host's heartbeat, the holder's side of the lease, the writer ticket line and leaving
// (docs/multihost.md, "Heartbeat and liveness", "The catalog writer role").
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "lib/util/hex.hpp"
#include "pool/config.hpp"
#include "pool/error.hpp"
#include "pool/host_lines.hpp"
#include "pool/identity.hpp"
#include "pool/lock.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

using namespace hostline;

std::string clone_message(const Pool &p, const HostInfo &h); // host_claim.cpp

namespace {

// The environment's value, else daxpool.conf's (pool/config.hpp).
uint32_t env_ms(const char *name, uint32_t dflt)
{
	auto v = setting(name);
	if (!v)
		return dflt;
	char *end = nullptr;
	unsigned long x = std::strtoul(v->c_str(), &end, 10);
	if (*end || x == 0 || x > 3600u * 1000)
		throw Error(std::string(name) + "='" + *v + "' is not a number of milliseconds (1..3600000)");
	return static_cast<uint32_t>(x);
}

} // namespace

Timing Timing::from_env()
{
	Timing t;
	t.lease_ms = env_ms("DAXPOOL_LEASE_MS", t.lease_ms);
	t.margin_ms = env_ms("DAXPOOL_MARGIN_MS", t.margin_ms);
	t.heartbeat_ms = env_ms("DAXPOOL_HEARTBEAT_MS", std::max<uint32_t>(1, t.lease_ms / 3));
	t.settle_ms = env_ms("DAXPOOL_CLAIM_SETTLE_MS", t.settle_ms);
	if (t.heartbeat_ms >= t.lease_ms)
		throw Error("the heartbeat interval (" + std::to_string(t.heartbeat_ms) + " ms) must be shorter than the lease (" +
			    std::to_string(t.lease_ms) + " ms)");
	return t;
}

void HostSession::beat_locked()
{
	verify_claim();
	const Identity &me = self();
	Geo g(pool_);
	// Clones (docs/multihost.md, "Host identity"): another slot claimed with this machine-id
	// under another boot, whose heartbeat this session has seen advance.
	{
		auto hosts = watch_.look(pool_);
		for (const auto &h : hosts)
			if (h.slot != slot_ && same16(h.claim.machine_id, me.host.data()) &&
			    !same16(h.claim.boot_id, me.boot.data()) && h.liveness == Liveness::Beating) {
				broken_ = true;
				throw Error(clone_message(pool_, h));
			}
	}
	HostBeat cur;
	uint32_t agent = agent_pid_;
	const bool cur_valid = read_line(pool_, g.line(slot_, HOST_LINE_BEAT), cur) == LineRead::Valid;
	if (cur_valid) {
		counter_ = std::max(counter_, cur.counter);
		if (!agent)
			agent = cur.agent_pid;
	}
	HostBeat b{};
	b.counter = ++counter_;
	const int64_t boot = boottime_ns();
	b.time = realtime_ns();
	b.lease_ms = t_.lease_ms;
	b.margin_ms = t_.margin_ms;
	b.heartbeat_ms = t_.heartbeat_ms;
	if (!agent_pid_ && cur_valid) {
		// daxpool agent's lease is the host's; other processes never shorten what it announced
		// (a shorter one would make the host look dead between the agent's beats).
		b.lease_ms = std::max(b.lease_ms, cur.lease_ms);
		b.margin_ms = std::max(b.margin_ms, cur.margin_ms);
		b.heartbeat_ms = std::max(b.heartbeat_ms, cur.heartbeat_ms);
	}
	b.agent_pid = agent;
	{
		std::lock_guard l(tm_);
		if (!util::all_zero(&ticket_, sizeof ticket_)) {
			// This process holds the ticket: its beats keep the ticket alive.
			ticket_beats_ = std::max(ticket_beats_, cur_valid ? cur.ticket_beats : 0) + 1;
			b.ticket_beats = ticket_beats_;
			b.ticket_pid = me.pid;
		} else if (cur_valid) {
			b.ticket_beats = cur.ticket_beats;
			b.ticket_pid = cur.ticket_pid;
		}
	}
	// A ticket (or an unreadable ticket line) while no process of this host holds the host's
	// writer lock, which every writer holds from before its ticket until after it clears it:
	// left by a process that is gone (killed in the role). Cleared by the host, so that others
	// stop waiting on it and its extent is reclaimed (docs/multihost.md, "Quarantine"). The
	// lock, not the pid, is asked: it is the same for processes in other pid namespaces.
	HostTicket t;
	LineRead tr = read_line(pool_, g.line(slot_, HOST_LINE_TICKET), t);
	if ((tr == LineRead::Unknown || (tr == LineRead::Valid && (t.ticket || t.choosing))) &&
	    WriterLock::is_free(pool_.backend().lock_path())) {
		const HostTicket zero{};
		write_raw(pool_, g.line(slot_, HOST_LINE_TICKET), &zero);
	}
	seal(b);
	write_raw(pool_, g.line(slot_, HOST_LINE_BEAT), &b);
	int64_t prev = last_beat_boot_.exchange(boot);
	if (prev && boot - prev >= int64_t(t_.lease_ms) * MS && !broken_) {
		std::lock_guard l(m_);
		broken_why_ = "this process did not beat for " + std::to_string((boot - prev) / MS) + " ms (lease " +
			      std::to_string(t_.lease_ms) + " ms)";
		broken_ = true;
	}
}

void HostSession::beat()
{
	SlotLock lk(pool_.backend().lock_path());
	beat_locked();
}

void HostSession::start_beating()
{
	if (thread_.joinable())
		return;
	stop_ = false;
	thread_ = std::thread([this] {
		std::unique_lock l(m_);
		while (!stop_) {
			cv_.wait_for(l, std::chrono::milliseconds(t_.heartbeat_ms), [this] { return stop_; });
			if (stop_)
				break;
			l.unlock();
			std::string err;
			try {
				beat();
			} catch (const std::exception &e) {
				err = e.what();
			}
			l.lock();
			if (!err.empty() && !broken_) {
				broken_why_ = err;
				broken_ = true;
			}
		}
	});
}

void HostSession::stop_beating()
{
	if (!thread_.joinable())
		return;
	{
		std::lock_guard l(m_);
		stop_ = true;
	}
	cv_.notify_all();
	thread_.join();
}

void HostSession::check_lease() const
{
	std::string why;
	if (broken_) {
		std::lock_guard l(const_cast<std::mutex &>(m_));
		why = broken_why_.empty() ? "this host's slot was lost" : broken_why_;
	} else if (int64_t gap = boottime_ns() - last_beat_boot_.load(); gap >= int64_t(t_.lease_ms) * MS)
		why = "this process has not beaten for " + std::to_string(gap / MS) + " ms (lease " +
		      std::to_string(t_.lease_ms) + " ms)";
	if (!why.empty())
		throw Error("lost the writer role of pool " + pool_.display() + ": " + why +
			    "; another host may have taken it over. Nothing more is written; check the pool with "
			    "'daxpool fsck --pool " + pool_.display() + "'");
}

void HostSession::check_role()
{
	check_lease();
	try {
		verify_claim();
	} catch (const Error &e) {
		throw Error("lost the writer role of pool " + pool_.display() + ": " + e.what());
	}
	HostTicket now, mine;
	{
		std::lock_guard l(tm_);
		mine = ticket_;
	}
	LineRead r = read_line(pool_, Geo(pool_).line(slot_, HOST_LINE_TICKET), now);
	if (r != LineRead::Valid || std::memcmp(&now, &mine, sizeof now) != 0) {
		broken_ = true;
		throw Error("lost the writer role of pool " + pool_.display() + ": this process's ticket in host slot " +
			    std::to_string(slot_) + " was overwritten; nothing more is written. Check the pool with "
			    "'daxpool fsck --pool " + pool_.display() + "'");
	}
}

void HostSession::write_line(uint32_t line, const void *bytes)
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	write_raw(pool_, Geo(pool_).line(slot_, line), bytes);
}

void HostSession::write_ticket(const HostTicket &t)
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	std::lock_guard l(tm_);
	ticket_ = t;
	if (!util::all_zero(&ticket_, sizeof ticket_)) {
		ticket_.lease_ms = t_.lease_ms;
		ticket_.margin_ms = t_.margin_ms;
		seal(ticket_);
	}
	write_raw(pool_, Geo(pool_).line(slot_, HOST_LINE_TICKET), &ticket_);
}

bool HostSession::leave()
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	if (!mounts().empty())
		return false;
	Geo g(pool_);
	HostTicket t;
	LineRead r = read_line(pool_, g.line(slot_, HOST_LINE_TICKET), t);
	if ((r == LineRead::Unknown || (r == LineRead::Valid && (t.ticket || t.choosing))) &&
	    !WriterLock::is_free(pool_.backend().lock_path()))
		return false; // a writer of this host is in (or waiting for) the role
	HostClaim c;
	if (read_line(pool_, g.line(slot_, HOST_LINE_CLAIM), c) != LineRead::Valid)
		return false;
	c.state = uint32_t(ClaimState::Left);
	seal(c);
	write_raw(pool_, g.line(slot_, HOST_LINE_CLAIM), &c);
	broken_ = true; // nothing more is written in this session
	return true;
}

} // namespace daxpool::pool
