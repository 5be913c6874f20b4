// SPDX-License-Identifier: GPL-2.0-only
// Reading the host table and judging liveness by observed change (docs/multihost.md,
// "Liveness").
#include <algorithm>

#include "pool/host_lines.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

using namespace hostline;

const char *liveness_name(Liveness l)
{
	switch (l) {
	case Liveness::Beating: return "beating";
	case Liveness::Silent: return "silent";
	case Liveness::Expired: return "expired";
	case Liveness::Left: return "left";
	}
	return "unknown";
}

std::string HostInfo::describe() const
{
	return "host '" + (hostname.empty() ? std::string("?") : hostname) + "' (machine-id " + machine_id.substr(0, 12) +
	       ", slot " + std::to_string(slot) + ")";
}

std::string HostInfo::stamp_text() const
{
	return std::string(beat.counter ? "last heartbeat" : "claim") + " stamped " + format_time(stamped) +
	       " by its own clock";
}

std::vector<HostInfo> read_hosts(Pool &pool)
{
	Geo g(pool);
	std::vector<HostInfo> out;
	for (uint32_t i = 0; i < g.slots; i++) {
		HostClaim c;
		// An empty claim line is an unused slot. An unknown one (a claim collision's leftover,
		// or damage) holds no host that could have written the other lines of the slot: a
		// slot's lines are written only after its claim was read back whole.
		if (read_line(pool, g.line(i, HOST_LINE_CLAIM), c) != LineRead::Valid)
			continue;
		uint32_t unknown = 0;
		auto b = read_slot(pool, g, i, unknown);
		bool ok = false;
		HostInfo h = decode(i, b.data(), g.mounts, unknown, ok);
		if (ok)
			out.push_back(std::move(h));
	}
	return out;
}

int64_t Watch::watched_ns() const { return start_ ? boottime_ns() - start_ : 0; }

void Watch::judge(std::vector<HostInfo> &hosts, int64_t before, int64_t after)
{
	if (!start_)
		start_ = after;
	for (auto &h : hosts) {
		if (h.claim.state == uint32_t(ClaimState::Left)) {
			h.liveness = Liveness::Left;
			seen_.erase(h.slot);
			continue;
		}
		auto it = seen_.find(h.slot);
		if (it == seen_.end() || it->second.nonce != h.claim.nonce) {
			// First sighting of this claim: nothing is known yet of its beats.
			Seen s;
			s.nonce = h.claim.nonce;
			s.counter = h.beat.counter;
			s.ticket_beats = h.beat.ticket_beats;
			s.raw = h.beat_raw;
			s.since = s.ticket_since = after;
			it = seen_.insert_or_assign(h.slot, s).first;
		} else {
			Seen &s = it->second;
			// An unreadable heartbeat line changes while its host writes it; one that stays
			// byte for byte the same (torn by a host that died mid-store, or damaged) does not.
			const bool changed = h.beat_unknown ? h.beat_raw != s.raw : h.beat.counter != s.counter;
			if (changed) {
				// A change after it stood still for its lease + margin: another host watching
				// may have judged it expired and reclaimed its mounts meanwhile.
				if (before - s.since >= h.expiry_ns())
					s.lapsed = true;
				s.counter = h.beat.counter;
				s.since = after;
				s.changed = true;
			}
			if ((h.beat_unknown && changed) || (!h.beat_unknown && h.beat.ticket_beats != s.ticket_beats)) {
				s.ticket_beats = h.beat.ticket_beats;
				s.ticket_since = after;
			}
			s.raw = h.beat_raw;
		}
		const Seen &s = it->second;
		h.still_ns = std::max<int64_t>(0, before - s.since);
		h.lapsed = s.lapsed || h.still_ns >= h.expiry_ns();
		h.liveness = h.still_ns >= h.expiry_ns() ? Liveness::Expired
			     : s.changed		 ? Liveness::Beating
							 : Liveness::Silent;
		// A ticket lives by the beats of the process that holds it (a writer process that died
		// on a host whose agent beats on loses it), with the lease that process checks; not by
		// the host's heartbeat, whose lease another process of the host may have announced.
		const int64_t ticket_expiry =
			(int64_t(h.ticket.lease_ms ? h.ticket.lease_ms : h.lease_ms) +
			 (h.ticket.margin_ms ? h.ticket.margin_ms : h.margin_ms)) * MS;
		h.ticket_alive = h.holds_ticket() && (before - s.ticket_since < ticket_expiry);
	}
}

std::vector<HostInfo> Watch::look(Pool &pool)
{
	const int64_t before = boottime_ns();
	auto hosts = read_hosts(pool);
	judge(hosts, before, boottime_ns());
	return hosts;
}

std::vector<HostInfo> watch_until_judged(Pool &pool, const std::vector<uint32_t> &slots,
					 const std::function<void(int64_t)> &on_wait)
{
	Watch w;
	bool told = false;
	for (;;) {
		auto hosts = w.look(pool);
		std::vector<HostInfo> out;
		bool done = true;
		int64_t wait = 0;
		for (const auto &h : hosts)
			if (std::find(slots.begin(), slots.end(), h.slot) != slots.end()) {
				out.push_back(h);
				if (h.liveness == Liveness::Silent) {
					done = false;
					wait = std::max(wait, h.expiry_ns() - h.still_ns);
				}
			}
		if (done)
			return out;
		if (!told && on_wait) {
			on_wait(wait);
			told = true;
		}
		sleep_ms(std::min<double>(100, double(wait) / MS + 1));
	}
}

} // namespace daxpool::pool
