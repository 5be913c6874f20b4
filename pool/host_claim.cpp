// SPDX-License-Identifier: GPL-2.0-only
// Claiming this host's slot without atomic read-modify-write (docs/multihost.md, "Claiming a
// slot"): this boot's slot found again, an earlier boot's taken over once it stood still, or a
// new one by Fischer's timed claim.
#include <algorithm>
#include <random>

#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/host_lines.hpp"
#include "pool/identity.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

using namespace hostline;

std::string clone_message(const Pool &p, const HostInfo &h)
{
	return "machine-id " + h.machine_id + " is in use by another live host in pool " + p.display() + ": '" +
	       h.hostname + "' (boot " + h.boot_id + ", slot " + std::to_string(h.slot) +
	       ", its heartbeat advanced while this host watched). This host looks like a clone with the same "
	       "/etc/machine-id; give each host its own (rm /etc/machine-id; systemd-machine-id-setup) and try again";
}

namespace {

// fsdax pools are single-host (docs/provisioning.md): their backend writes whole 4 KiB blocks,
// which would overwrite a neighbouring host's slot, and reads through the kernel's cached
// direct map. Refused while another machine's slot lists mounts (whether it beats or not: its
// images are in use there) or beats (watched until it beats or stands still).
void refuse_second_host(Pool &pool, const std::vector<HostInfo> &hosts)
{
	if (!pool.backend().single_host())
		return;
	const Identity &me = self();
	std::vector<uint32_t> others;
	std::vector<HostInfo> busy;
	for (const auto &h : hosts)
		if (!h.left() && !same16(h.claim.machine_id, me.host.data())) {
			others.push_back(h.slot);
			if (!h.mounts.empty() || !h.unknown_mounts.empty())
				busy.push_back(h);
		}
	if (others.empty())
		return;
	if (busy.empty())
		busy = watch_until_judged(pool, others);
	for (const auto &h : busy)
		if (!h.mounts.empty() || !h.unknown_mounts.empty() || alive(h.liveness))
			throw Error("pool " + pool.display() + " is on " + pool.backend().describe() +
				    ", which serves one host only, and " + h.describe() +
				    " is using it; pools shared by several hosts are made with --mode devdax "
				    "(docs/provisioning.md)");
}

} // namespace

HostSession::HostSession(Pool &pool, Timing t, uint32_t slot, uint64_t nonce, uint32_t agent_pid)
    : pool_(pool), t_(t), slot_(slot), nonce_(nonce), agent_pid_(agent_pid)
{
}

HostSession::~HostSession() { stop_beating(); }

std::unique_ptr<HostSession> HostSession::claim(Pool &pool, Timing t, uint32_t agent_pid)
{
	if (pool.access() != Access::ReadWrite)
		throw Error("internal error: claiming a host slot in a pool opened read-only");
	const Identity &me = self();
	Geo g(pool);
	SlotLock lk(pool.backend().lock_path());
	auto make_claim = [&](uint64_t nonce) {
		HostClaim c{};
		c.magic = HOST_MAGIC;
		c.state = uint32_t(ClaimState::Claimed);
		std::copy(me.host.begin(), me.host.end(), c.machine_id);
		std::copy(me.boot.begin(), me.boot.end(), c.boot_id);
		c.nonce = nonce;
		c.claimed = realtime_ns();
		seal(c);
		return c;
	};
	auto write_claim = [&](uint32_t slot, uint64_t nonce) {
		HostClaim c = make_claim(nonce);
		write_raw(pool, g.line(slot, HOST_LINE_CLAIM), &c);
		return c;
	};
	auto finish = [&](uint32_t slot, uint64_t nonce, bool fresh) {
		std::unique_ptr<HostSession> s(new HostSession(pool, t, slot, nonce, agent_pid));
		if (fresh) {
			HostName n{};
			put_text(n.name, me.hostname, false);
			seal(n);
			write_raw(pool, g.line(slot, HOST_LINE_NAME), &n);
		}
		s->beat_locked();
		return s;
	};

	auto hosts = read_hosts(pool);
	refuse_second_host(pool, hosts);
	// 1. Claimed earlier in this boot (by this or another process of this host).
	for (const auto &h : hosts)
		if (same16(h.claim.machine_id, me.host.data()) && same16(h.claim.boot_id, me.boot.data())) {
			if (h.claim.state == uint32_t(ClaimState::Claimed))
				return finish(h.slot, h.claim.nonce, false);
			uint64_t nonce = random_nonce(); // LEFT earlier in this boot: claim it again
			zero_lines(pool, g, h.slot, 1);
			write_claim(h.slot, nonce);
			return finish(h.slot, nonce, true);
		}
	// 2. Slots of earlier boots of this machine-id: ours once they stand still for their lease +
	// margin while we watch (a beat meanwhile means another live machine has our machine-id).
	// A slot its agent left cleanly (LEFT) is taken at once.
	std::vector<uint32_t> watch;
	for (const auto &h : hosts)
		if (same16(h.claim.machine_id, me.host.data()) && !h.left())
			watch.push_back(h.slot);
	std::vector<HostInfo> mine;
	if (!watch.empty())
		for (const auto &h : watch_until_judged(pool, watch))
			if (alive(h.liveness))
				throw Error(clone_message(pool, h));
	for (const auto &h : read_hosts(pool))
		if (same16(h.claim.machine_id, me.host.data()))
			mine.push_back(h);
	if (!mine.empty()) {
		auto newest = std::max_element(mine.begin(), mine.end(), [](const HostInfo &a, const HostInfo &b) {
			return a.claim.claimed < b.claim.claimed;
		});
		for (const auto &h : mine)
			if (h.slot != newest->slot) {
				zero_lines(pool, g, h.slot, 1);
				zero_lines(pool, g, h.slot, 0);
			}
		// The mounts of the earlier boot died with it; its ticket too.
		zero_lines(pool, g, newest->slot, 1);
		uint64_t nonce = random_nonce();
		write_claim(newest->slot, nonce);
		return finish(newest->slot, nonce, true);
	}
	// 3. A new slot, Fischer-style: claim, settle, reread.
	uint64_t nonce = random_nonce();
	std::mt19937_64 rng(nonce);
	const uint32_t start = daxfs_crc32c(me.host.data(), 16) % g.slots;
	const int64_t quick = int64_t(t.settle_ms) * MS / 4;
	int64_t torn_slot = -1; // a slot whose claim line stayed unknown for a settle time: claimable
	for (uint32_t k = 0, tries = 0; k < g.slots;) {
		uint32_t i = (start + k) % g.slots;
		HostClaim c;
		// Fischer needs the claim visible within the settle time of the read that found the
		// line claimable: the time from before that read to just before the store is measured,
		// and a slow attempt (preempted meanwhile) reads again instead of writing.
		const int64_t t0 = boottime_ns();
		LineRead r = read_line(pool, g.line(i, HOST_LINE_CLAIM), c);
		if (r == LineRead::Valid) {
			k++;
			continue;
		}
		if (r == LineRead::Unknown && torn_slot != int64_t(i)) {
			// A torn claim (a collision's leftover) is claimable once it stays torn.
			sleep_ms(t.settle_ms);
			if (read_line(pool, g.line(i, HOST_LINE_CLAIM), c) == LineRead::Unknown)
				torn_slot = i; // read it again, timed, and claim it
			else
				k++;
			continue;
		}
		HostClaim ours = make_claim(nonce);
		if (boottime_ns() - t0 > quick) {
			if (++tries > 1000)
				throw Error("cannot claim a host slot in pool " + pool.display() + ": this process is too slow "
					    "between a read and a write (settle time " + std::to_string(t.settle_ms) + " ms)");
			continue; // the same slot again
		}
		write_raw(pool, g.line(i, HOST_LINE_CLAIM), &ours);
		k++;
		fault_point("claim.written");
		sleep_ms(t.settle_ms);
		HostClaim back;
		if (read_line(pool, g.line(i, HOST_LINE_CLAIM), back) == LineRead::Valid &&
		    std::memcmp(&back, &ours, LINE) == 0) {
			zero_lines(pool, g, i, 1);
			return finish(i, nonce, true);
		}
		// Lost: never write this slot again. Back off a little before the next one.
		sleep_ms(double(rng() % (t.settle_ms + 1)) / 4);
	}
	throw Error("the host table of pool " + pool.display() + " is full: all " + std::to_string(g.slots) +
		    " slots are claimed ('daxpool status --pool " + pool.display() + "' lists them)");
}

void HostSession::verify_claim()
{
	Geo g(pool_);
	const Identity &me = self();
	HostClaim c;
	LineRead r = read_line(pool_, g.line(slot_, HOST_LINE_CLAIM), c);
	if (r == LineRead::Valid && c.magic == HOST_MAGIC && same16(c.machine_id, me.host.data()) &&
	    same16(c.boot_id, me.boot.data()) && c.nonce == nonce_) {
		if (c.state == uint32_t(ClaimState::Claimed))
			return;
		broken_ = true;
		throw Error("host slot " + std::to_string(slot_) + " of pool " + pool_.display() +
			    " was released meanwhile (daxpool agent stopped); run the command again");
	}
	broken_ = true;
	std::string now = r == LineRead::Valid ? "machine-id " + util::hex(c.machine_id) + ", boot " + util::hex(c.boot_id)
					       : r == LineRead::Empty ? "empty" : "unreadable";
	throw Error("host slot " + std::to_string(slot_) + " of pool " + pool_.display() +
		    " no longer holds this host's claim (now: " + now +
		    "): another host with this identity claimed it. Is this machine a clone with the same "
		    "/etc/machine-id? Give each host its own (rm /etc/machine-id; systemd-machine-id-setup)");
}

} // namespace daxpool::pool
