// SPDX-License-Identifier: GPL-2.0-only
// docs/multihost.md is the normative description of everything here.
#include "pool/hosts.hpp"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>

#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"
#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/identity.hpp"
#include "pool/lock.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

namespace {

constexpr int64_t MS = 1000000;

void sleep_ms(double ms)
{
	if (ms <= 0)
		return;
	struct timespec ts;
	ts.tv_sec = static_cast<time_t>(ms / 1000);
	ts.tv_nsec = static_cast<long>((ms - double(ts.tv_sec) * 1000) * 1e6);
	while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

uint32_t env_ms(const char *name, uint32_t dflt)
{
	const char *v = std::getenv(name);
	if (!v || !*v)
		return dflt;
	char *end = nullptr;
	unsigned long x = std::strtoul(v, &end, 10);
	if (*end || x == 0 || x > 3600u * 1000)
		throw Error(std::string(name) + "='" + v + "' is not a number of milliseconds (1..3600000)");
	return static_cast<uint32_t>(x);
}

template <typename T> void seal(T &line) { line.crc = daxfs_crc32c(&line, LINE_CRC_LEN); }
template <typename T> bool sealed_ok(const T &line) { return line.crc == daxfs_crc32c(&line, LINE_CRC_LEN); }

bool same16(const uint8_t *a, const uint8_t *b) { return std::memcmp(a, b, 16) == 0; }

std::string text(const char *p, size_t n) { return std::string(p, strnlen(p, n)); }

template <size_t N> void put_text(char (&dst)[N], const std::string &s, bool tail)
{
	std::memset(dst, 0, N);
	std::string v = s.size() <= N ? s : tail ? s.substr(s.size() - N) : s.substr(0, N);
	std::memcpy(dst, v.data(), v.size());
}

// Where the host table is (the superblock's recorded geometry).
struct Geo {
	uint64_t off;
	uint32_t slots, slot_size, mounts;
	explicit Geo(const Pool &p)
	    : off(p.super().host_table_off), slots(p.super().host_slots), slot_size(p.super().host_slot_size),
	      mounts(std::min<uint32_t>(HOST_MOUNTS, slot_size / uint32_t(LINE) - HOST_LINE_MOUNTS))
	{
		if (slot_size < (HOST_LINE_MOUNTS + 1) * LINE)
			throw Error("the host slots of pool " + p.display() + " are too small for the multi-host protocol");
	}
	uint64_t line(uint32_t slot, uint32_t line) const { return off + uint64_t(slot) * slot_size + uint64_t(line) * LINE; }
};

enum class LineRead { Empty, Valid, Bad };

// One line, invalidated first; a line that fails its CRC is read again (it may be being written).
template <typename T> LineRead read_line(Pool &p, uint64_t off, T &out)
{
	static_assert(sizeof(T) == LINE);
	for (int tries = 0;; tries++) {
		out = p.shared().read_obj<T>(off);
		if (util::all_zero(&out, sizeof out))
			return LineRead::Empty;
		if (sealed_ok(out))
			return LineRead::Valid;
		if (tries == 5)
			return LineRead::Bad;
		sleep_ms(0.2);
	}
}

void write_raw(Pool &p, uint64_t off, const void *bytes)
{
	p.shared().write(off, {static_cast<const uint8_t *>(bytes), size_t(LINE)});
	p.shared().publish(off, LINE); // visible to every host; durability is not needed (stale after a crash)
}

void zero_lines(Pool &p, const Geo &g, uint32_t slot, uint32_t from)
{
	uint64_t a = g.line(slot, from), len = g.slot_size - uint64_t(from) * LINE;
	p.shared().zero(a, len);
	p.shared().publish(a, len);
}

// The host-local slot lock: an OFD write lock on another byte of the pool's lock path than the
// writer lock (pool/lock.hpp). Serializes every write of this host's slot by the processes and
// threads of this host; released when the descriptor closes.
class SlotLock {
public:
	explicit SlotLock(const std::string &path) : fd_(::open(path.c_str(), O_RDWR | O_CLOEXEC))
	{
		if (!fd_)
			throw_errno("cannot open " + path + " to lock this host's slot of the pool", errno);
		struct flock fl{};
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = static_cast<off_t>(WriterLock::slot_byte());
		fl.l_len = 1;
		while (::fcntl(fd_.get(), F_OFD_SETLKW, &fl) < 0)
			if (errno != EINTR)
				throw_errno("cannot lock this host's slot of pool " + path, errno);
	}

private:
	util::Fd fd_;
};

std::string short_hex(const uint8_t *id) { return util::hex({id, 6}); }

std::string clone_message(const Pool &p, const HostInfo &h, int64_t now)
{
	return "machine-id " + h.machine_id + " is in use by another live host in pool " + p.display() + ": '" +
	       h.hostname + "' (boot " + h.boot_id + ", slot " + std::to_string(h.slot) + ", heartbeat " +
	       std::to_string((now - h.last_beat) / MS) +
	       " ms ago). This host looks like a clone with the same /etc/machine-id; give each host its own "
	       "(rm /etc/machine-id; systemd-machine-id-setup) and try again";
}

HostInfo decode(uint32_t slot, const uint8_t *b, uint32_t mounts, int64_t now, bool &ok)
{
	HostInfo h;
	h.slot = slot;
	std::memcpy(&h.claim, b, LINE);
	ok = !util::all_zero(&h.claim, LINE) && sealed_ok(h.claim) && h.claim.magic == HOST_MAGIC &&
	     (h.claim.state == uint32_t(ClaimState::Claimed) || h.claim.state == uint32_t(ClaimState::Left));
	if (!ok)
		return h;
	h.machine_id = util::hex(h.claim.machine_id);
	h.boot_id = util::hex(h.claim.boot_id);
	HostName n;
	std::memcpy(&n, b + HOST_LINE_NAME * LINE, LINE);
	if (sealed_ok(n))
		h.hostname = text(n.name, sizeof n.name);
	HostBeat beat;
	std::memcpy(&beat, b + HOST_LINE_BEAT * LINE, LINE);
	if (sealed_ok(beat) && beat.counter)
		h.beat = beat;
	HostTicket t;
	std::memcpy(&t, b + HOST_LINE_TICKET * LINE, LINE);
	if (sealed_ok(t))
		h.ticket = t;
	else if (!util::all_zero(&t, LINE))
		h.ticket_torn = true;
	Timing dflt = Timing::from_env();
	h.lease_ms = h.beat.counter ? h.beat.lease_ms : dflt.lease_ms;
	h.margin_ms = h.beat.counter ? h.beat.margin_ms : dflt.margin_ms;
	h.last_beat = h.beat.counter ? h.beat.time : h.claim.claimed;
	h.liveness = judge(now, h.last_beat, h.lease_ms, h.margin_ms, h.claim.state == uint32_t(ClaimState::Left));
	// A ticket lives by its own beat and the lease its holder checks (processes of one host may
	// run with different leases); a torn one only while its host is alive.
	if (h.claim.state == uint32_t(ClaimState::Claimed))
		h.ticket_alive = h.ticket_torn ? alive(h.liveness)
					       : (h.ticket.choosing || h.ticket.ticket) &&
							 alive(judge(now, h.ticket.beat, h.ticket.lease_ms, h.ticket.margin_ms, false));
	for (uint32_t i = 0; i < mounts; i++) {
		MountRecord r;
		std::memcpy(&r, b + (HOST_LINE_MOUNTS + i) * LINE, LINE);
		if (util::all_zero(&r, LINE) || !sealed_ok(r) || r.state == uint32_t(MountState::Free))
			continue;
		MountInfo m;
		m.record = i;
		m.image_id = r.image_id;
		m.generation = r.generation;
		m.since = r.since;
		m.mp_hash = r.mp_hash;
		m.state = static_cast<MountState>(r.state);
		m.mountpoint = text(r.mountpoint, sizeof r.mountpoint);
		h.mounts.push_back(m);
	}
	return h;
}

// One slot's bytes, reread while a non-zero line fails its CRC (being written), a few times.
std::vector<uint8_t> read_slot(Pool &p, const Geo &g, uint32_t slot)
{
	std::vector<uint8_t> b(g.slot_size);
	for (int tries = 0;; tries++) {
		p.shared().read(g.line(slot, 0), b);
		bool torn = false;
		for (uint32_t l = 0; l < g.slot_size / LINE && !torn; l++) {
			const uint8_t *x = b.data() + l * LINE;
			uint32_t crc;
			std::memcpy(&crc, x + LINE_CRC_LEN, 4);
			torn = !util::all_zero(x, LINE) && crc != daxfs_crc32c(x, LINE_CRC_LEN);
		}
		if (!torn || tries == 5)
			return b;
		sleep_ms(0.2);
	}
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

const char *liveness_name(Liveness l)
{
	switch (l) {
	case Liveness::Live: return "live";
	case Liveness::Suspect: return "suspect";
	case Liveness::Expired: return "expired";
	case Liveness::Left: return "left";
	}
	return "unknown";
}

Liveness judge(int64_t now_ns, int64_t beat_ns, uint32_t lease_ms, uint32_t margin_ms, bool left)
{
	if (left)
		return Liveness::Left;
	int64_t age = now_ns - beat_ns;
	if (age <= int64_t(lease_ms) * MS)
		return Liveness::Live;
	if (age <= (int64_t(lease_ms) + margin_ms) * MS)
		return Liveness::Suspect;
	return Liveness::Expired;
}

std::string HostInfo::describe() const
{
	return "host '" + (hostname.empty() ? std::string("?") : hostname) + "' (machine-id " + machine_id.substr(0, 12) +
	       ", slot " + std::to_string(slot) + ")";
}

std::string MountHolder::describe() const
{
	return host.describe() + (mount.mountpoint.empty() ? "" : " at " + mount.mountpoint);
}

std::vector<HostInfo> read_hosts(Pool &pool, int64_t now)
{
	Geo g(pool);
	std::vector<HostInfo> out;
	for (uint32_t i = 0; i < g.slots; i++) {
		HostClaim c;
		if (read_line(pool, g.line(i, HOST_LINE_CLAIM), c) != LineRead::Valid)
			continue;
		auto b = read_slot(pool, g, i);
		bool ok = false;
		HostInfo h = decode(i, b.data(), g.mounts, now, ok);
		if (ok)
			out.push_back(std::move(h));
	}
	return out;
}

std::vector<HostInfo> read_hosts(Pool &pool) { return read_hosts(pool, realtime_ns()); }

namespace {

// Another slot claimed with this machine-id under another boot that is alive: two machines
// share the machine-id (clones). A host has one slot per pool (claim step 2 takes an earlier
// boot's slot over only once it stopped beating), so this catches clones that claimed new slots
// at the same moment, which the claim alone cannot see.
void refuse_live_clone(Pool &pool, uint32_t own_slot)
{
	const Identity &me = self();
	const int64_t now = realtime_ns();
	for (const auto &h : read_hosts(pool, now))
		if (h.slot != own_slot && h.claim.state == uint32_t(ClaimState::Claimed) &&
		    same16(h.claim.machine_id, me.host.data()) && !same16(h.claim.boot_id, me.boot.data()) &&
		    alive(h.liveness))
			throw Error(clone_message(pool, h, now));
}

// fsdax pools are single-host (docs/provisioning.md): their backend writes whole 4 KiB blocks,
// which would overwrite a neighbouring host's slot, and reads through the kernel's cached
// direct map. Refused while another machine holds a slot that is alive.
void refuse_second_host(Pool &pool, const std::vector<HostInfo> &hosts)
{
	if (!pool.backend().single_host())
		return;
	const Identity &me = self();
	for (const auto &h : hosts)
		if (h.claim.state == uint32_t(ClaimState::Claimed) && !same16(h.claim.machine_id, me.host.data()) &&
		    alive(h.liveness))
			throw Error("pool " + pool.display() + " is on " + pool.backend().describe() +
				    ", which serves one host only, and " + h.describe() +
				    " is using it; pools shared by several hosts are made with --mode devdax "
				    "(docs/provisioning.md)");
}

} // namespace

// ---- HostSession -------------------------------------------------------------------------

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
	// 2. Slots of earlier boots of this machine-id: ours, unless one still beats (a clone).
	std::vector<HostInfo> mine;
	for (const auto &h : hosts)
		if (same16(h.claim.machine_id, me.host.data()))
			mine.push_back(h);
	for (const auto &h : mine) {
		if (!alive(h.liveness))
			continue;
		// Wait for it to expire; a beat meanwhile means another live machine has our machine-id.
		for (;;) {
			sleep_ms(std::min<uint32_t>(100, t.heartbeat_ms));
			int64_t now = realtime_ns();
			auto again = read_hosts(pool, now);
			auto it = std::find_if(again.begin(), again.end(), [&](const HostInfo &x) { return x.slot == h.slot; });
			if (it == again.end() || std::memcmp(&it->claim, &h.claim, LINE) != 0 ||
			    it->beat.counter != h.beat.counter)
				throw Error(clone_message(pool, it == again.end() ? h : *it, now));
			if (!alive(it->liveness))
				break;
		}
	}
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
	int64_t torn_slot = -1; // a slot whose claim line stayed torn for a settle time: claimable
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
		if (r == LineRead::Bad && torn_slot != int64_t(i)) {
			// A torn claim (a collision's leftover) is claimable once it stays torn.
			sleep_ms(t.settle_ms);
			if (read_line(pool, g.line(i, HOST_LINE_CLAIM), c) == LineRead::Bad)
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

void HostSession::beat_locked()
{
	verify_claim();
	try {
		refuse_live_clone(pool_, slot_);
	} catch (const Error &) {
		broken_ = true;
		throw;
	}
	Geo g(pool_);
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
	int64_t mono = boottime_ns();
	b.time = realtime_ns();
	b.lease_ms = t_.lease_ms;
	b.margin_ms = t_.margin_ms;
	if (!agent_pid_ && cur_valid) {
		// daxpool agent's lease is the host's; other processes never shorten what it announced
		// (a shorter one would make the host look dead between the agent's beats).
		b.lease_ms = std::max(b.lease_ms, cur.lease_ms);
		b.margin_ms = std::max(b.margin_ms, cur.margin_ms);
	}
	b.agent_pid = agent;
	seal(b);
	write_raw(pool_, g.line(slot_, HOST_LINE_BEAT), &b);
	{
		std::lock_guard l(tm_);
		if (!util::all_zero(&ticket_, sizeof ticket_)) {
			ticket_.beat = b.time;
			seal(ticket_);
			write_raw(pool_, g.line(slot_, HOST_LINE_TICKET), &ticket_);
		}
	}
	int64_t prev = last_beat_mono_.exchange(mono);
	if (prev && mono - prev >= int64_t(t_.lease_ms) * MS && !broken_) {
		std::lock_guard l(m_);
		broken_why_ = "this process did not beat for " + std::to_string((mono - prev) / MS) + " ms (lease " +
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
	} else if (int64_t gap = boottime_ns() - last_beat_mono_.load(); gap >= int64_t(t_.lease_ms) * MS)
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
	if (r != LineRead::Valid || now.ticket != mine.ticket || now.choosing != mine.choosing || now.pid != mine.pid) {
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
		ticket_.beat = realtime_ns();
		seal(ticket_);
	}
	write_raw(pool_, Geo(pool_).line(slot_, HOST_LINE_TICKET), &ticket_);
}

std::optional<uint32_t> HostSession::add_mount(const MountRecord &r)
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	Geo g(pool_);
	std::vector<bool> used(g.mounts);
	std::optional<uint32_t> ix;
	for (const auto &m : mounts()) {
		used[m.record] = true;
		if (m.image_id == r.image_id && m.mp_hash == r.mp_hash)
			ix = m.record;
	}
	for (uint32_t i = 0; !ix && i < used.size(); i++)
		if (!used[i])
			ix = i;
	if (ix) {
		MountRecord x = r;
		seal(x);
		write_raw(pool_, g.line(slot_, HOST_LINE_MOUNTS + *ix), &x);
	}
	return ix;
}

void HostSession::update_mount(uint32_t ix, uint64_t image_id, uint64_t mp_hash, const MountRecord &r)
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	Geo g(pool_);
	MountRecord cur;
	if (ix >= g.mounts || read_line(pool_, g.line(slot_, HOST_LINE_MOUNTS + ix), cur) != LineRead::Valid ||
	    cur.image_id != image_id || cur.mp_hash != mp_hash)
		return; // removed meanwhile by another process of this host (a concurrent umount)
	MountRecord x = r;
	if (!util::all_zero(&x, sizeof x))
		seal(x);
	write_raw(pool_, g.line(slot_, HOST_LINE_MOUNTS + ix), &x);
}

void HostSession::remove_mount(uint64_t image_id, uint64_t mp_hash)
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	Geo g(pool_);
	const MountRecord zero{};
	for (const auto &m : mounts())
		if (m.image_id == image_id && m.mp_hash == mp_hash)
			write_raw(pool_, g.line(slot_, HOST_LINE_MOUNTS + m.record), &zero);
}

std::vector<MountInfo> HostSession::mounts()
{
	Geo g(pool_);
	auto b = read_slot(pool_, g, slot_);
	bool ok = false;
	HostInfo h = decode(slot_, b.data(), g.mounts, realtime_ns(), ok);
	return h.mounts;
}

bool HostSession::leave()
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	if (!mounts().empty())
		return false;
	Geo g(pool_);
	HostTicket t;
	if (read_line(pool_, g.line(slot_, HOST_LINE_TICKET), t) != LineRead::Empty &&
	    alive(judge(realtime_ns(), t.beat, t.lease_ms, t.margin_ms, false)))
		return false; // a writer of this host is in (or waiting for) the role
	HostClaim c = pool_.shared().read_obj<HostClaim>(g.line(slot_, HOST_LINE_CLAIM));
	c.state = uint32_t(ClaimState::Left);
	seal(c);
	write_raw(pool_, g.line(slot_, HOST_LINE_CLAIM), &c);
	broken_ = true; // nothing more is written in this session
	return true;
}

// ---- mounts --------------------------------------------------------------------------------

uint64_t mountpoint_hash(const std::string &mp)
{
	uint64_t h = 1469598103934665603ull;
	for (unsigned char c : mp) {
		h ^= c;
		h *= 1099511628211ull;
	}
	return h;
}

std::vector<MountHolder> mount_holders(Pool &pool, uint64_t image_id)
{
	std::vector<MountHolder> out;
	for (const auto &h : read_hosts(pool))
		if (h.liveness != Liveness::Left)
			for (const auto &m : h.mounts)
				if (m.image_id == image_id)
					out.push_back({h, m});
	return out;
}

std::vector<std::string> mounted_by(Pool &pool, const CatalogEntry &e)
{
	std::vector<std::string> out;
	for (const auto &mh : mount_holders(pool, e.id))
		if (alive(mh.host.liveness))
			out.push_back(mh.describe());
	return out;
}

void record_mount(Pool &pool, const ImageInfo &img, const std::string &mountpoint)
{
	auto s = HostSession::claim(pool);
	MountRecord r{};
	r.image_id = img.id;
	r.generation = img.generation;
	r.since = realtime_ns();
	r.mp_hash = mountpoint_hash(mountpoint);
	r.state = uint32_t(MountState::Pending);
	put_text(r.mountpoint, mountpoint, true);
	auto ix = s->add_mount(r); // published before the catalog is read again (Dekker with unload)
	if (!ix)
		throw Error("this host already has " + std::to_string(Geo(pool).mounts) + " mounts recorded in pool " +
			    pool.display() + "; unmount one first");
	fault_point("mount.pending");
	Slot now = pool.catalog().snapshot().at(img.slot);
	if (now.damaged() || now.state() != State::Sealed || now.entry.id != img.id ||
	    now.entry.generation != img.generation) {
		s->update_mount(*ix, r.image_id, r.mp_hash, MountRecord{});
		throw Error("image '" + img.name + "' (id " + std::to_string(img.id) + ") of pool " + pool.display() +
			    " is being unloaded or has changed (now " + (now.damaged() ? "damaged" : state_name(now.state())) +
			    "); it was not mounted");
	}
	r.state = uint32_t(MountState::Mounted);
	s->update_mount(*ix, r.image_id, r.mp_hash, r);
	fault_point("mount.recorded");
}

void forget_mount(Pool &pool, uint64_t image_id, const std::string &mountpoint)
{
	auto s = HostSession::claim(pool);
	s->remove_mount(image_id, mountpoint_hash(mountpoint));
}

bool agent_beating(Pool &pool)
{
	const Identity &me = self();
	for (const auto &h : read_hosts(pool))
		if (same16(h.claim.machine_id, me.host.data()) && same16(h.claim.boot_id, me.boot.data()))
			return h.liveness == Liveness::Live && h.beat.agent_pid &&
			       (::kill(pid_t(h.beat.agent_pid), 0) == 0 || errno == EPERM);
	return false;
}

std::string writer_gone(Pool &pool, const CatalogEntry &e)
{
	const int64_t now = realtime_ns();
	for (const auto &h : read_hosts(pool, now)) {
		if (!same16(h.claim.machine_id, e.writer_host))
			continue;
		std::string who = h.describe();
		if (!same16(h.claim.boot_id, e.writer_boot))
			return "its writer " + who + " has rebooted since";
		if (!alive(h.liveness))
			return "its writer " + who + " is " + liveness_name(h.liveness) + " (last heartbeat " +
			       std::to_string((now - h.last_beat) / MS) + " ms ago)";
		if (!h.ticket_alive || (h.ticket.ticket == 0 && !h.ticket_torn))
			return "its writer " + who + " no longer holds the writer role";
		return "";
	}
	return "its writer (machine-id " + short_hex(e.writer_host) + ") has no slot in the host table";
}

} // namespace daxpool::pool
