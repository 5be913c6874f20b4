// SPDX-License-Identifier: GPL-2.0-only
// docs/pool-format.md, "Host table"; docs/multihost.md, "Unreadable lines".
#include "pool/host_lines.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/lock.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool::hostline {

namespace {

// How often, and how far apart, a line that fails its CRC is read again before it counts as
// unknown: a writer stores a whole line in a few instructions, so a line torn for this long
// was torn by something else (a collision, damage).
constexpr int RETRIES = 20;
constexpr double RETRY_MS = 0.5;

bool line_bad(const uint8_t *x)
{
	uint32_t crc;
	std::memcpy(&crc, x + LINE_CRC_LEN, 4);
	return !util::all_zero(x, LINE) && crc != daxfs_crc32c(x, LINE_CRC_LEN);
}

} // namespace

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

Geo::Geo(const Pool &p)
    : off(p.super().host_table_off), slots(p.super().host_slots), slot_size(p.super().host_slot_size),
      mounts(std::min<uint32_t>(HOST_MOUNTS, slot_size / uint32_t(LINE) - HOST_LINE_MOUNTS))
{
	if (slot_size < (HOST_LINE_MOUNTS + 1) * LINE || slot_size / LINE > 32)
		throw Error("the host slots of pool " + p.display() + " do not fit the multi-host protocol");
}

LineRead read_raw_line(Pool &p, uint64_t off, void *out)
{
	auto *b = static_cast<uint8_t *>(out);
	for (int tries = 0;; tries++) {
		p.shared().read(off, {b, size_t(LINE)});
		if (util::all_zero(b, LINE))
			return LineRead::Empty;
		if (!line_bad(b))
			return LineRead::Valid;
		if (tries == RETRIES)
			return LineRead::Unknown;
		sleep_ms(RETRY_MS);
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

std::vector<uint8_t> read_slot(Pool &p, const Geo &g, uint32_t slot, uint32_t &unknown)
{
	std::vector<uint8_t> b(g.slot_size);
	const uint32_t lines = g.slot_size / uint32_t(LINE);
	p.shared().read(g.line(slot, 0), b);
	unknown = 0;
	for (uint32_t l = 0; l < lines; l++)
		if (line_bad(b.data() + l * LINE) &&
		    read_raw_line(p, g.line(slot, l), b.data() + l * LINE) == LineRead::Unknown)
			unknown |= 1u << l;
	return b;
}

HostInfo decode(uint32_t slot, const uint8_t *b, uint32_t mounts, uint32_t unknown, bool &ok)
{
	HostInfo h;
	h.slot = slot;
	std::memcpy(&h.claim, b, LINE);
	ok = !(unknown & 1) && !util::all_zero(&h.claim, LINE) && sealed_ok(h.claim) && h.claim.magic == HOST_MAGIC &&
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
	h.beat_unknown = unknown & (1u << HOST_LINE_BEAT);
	std::memcpy(h.beat_raw.data(), b + HOST_LINE_BEAT * LINE, LINE);
	if (!h.beat_unknown && sealed_ok(beat) && beat.counter)
		h.beat = beat;
	HostTicket t;
	std::memcpy(&t, b + HOST_LINE_TICKET * LINE, LINE);
	h.ticket_unknown = unknown & (1u << HOST_LINE_TICKET);
	if (!h.ticket_unknown && sealed_ok(t))
		h.ticket = t;
	Timing dflt = Timing::from_env();
	h.lease_ms = h.beat.counter ? h.beat.lease_ms : dflt.lease_ms;
	h.margin_ms = h.beat.counter ? h.beat.margin_ms : dflt.margin_ms;
	h.heartbeat_ms = h.beat.counter && h.beat.heartbeat_ms ? h.beat.heartbeat_ms : dflt.heartbeat_ms;
	h.stamped = h.beat.counter ? h.beat.time : h.claim.claimed;
	h.liveness = h.claim.state == uint32_t(ClaimState::Left) ? Liveness::Left : Liveness::Silent;
	for (uint32_t i = 0; i < mounts; i++) {
		if (unknown & (1u << (HOST_LINE_MOUNTS + i))) {
			h.unknown_mounts.push_back(i);
			continue;
		}
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

// On the same descriptor as the writer lock (open_lock_fd): for a block device, a file under
// /run/daxpool, so that a beat never opens /dev/pmemN for writing (a udev change event).
SlotLock::SlotLock(const std::string &path) : fd_(open_lock_fd(path, O_RDWR))
{
	struct flock fl{};
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = static_cast<off_t>(WriterLock::slot_byte());
	fl.l_len = 1;
	while (::fcntl(fd_.get(), F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			throw_errno("cannot lock this host's slot of pool " + path, errno);
}

} // namespace daxpool::pool::hostline
