// SPDX-License-Identifier: GPL-2.0-only
// Mount records in this host's slot, and what other commands ask of them (docs/multihost.md,
// "Mounts, unload, --force").
#include <signal.h>

#include <cerrno>

#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/host_lines.hpp"
#include "pool/identity.hpp"
#include "pool/pool.hpp"

namespace daxpool::pool {

using namespace hostline;

std::optional<HostSession::AddedMount> HostSession::add_mount(const MountRecord &r)
{
	SlotLock lk(pool_.backend().lock_path());
	verify_claim();
	Geo g(pool_);
	uint32_t unknown = 0;
	auto b = read_slot(pool_, g, slot_, unknown);
	bool ok = false;
	HostInfo h = decode(slot_, b.data(), g.mounts, unknown, ok);
	std::vector<bool> used(g.mounts);
	for (uint32_t i : h.unknown_mounts)
		used[i] = true; // never written over: it may be another process's record being written
	for (const auto &m : h.mounts) {
		used[m.record] = true;
		if (m.image_id == r.image_id && m.mp_hash == r.mp_hash)
			return AddedMount{m.record, true}; // published already: left as it is
	}
	for (uint32_t i = 0; i < used.size(); i++)
		if (!used[i]) {
			MountRecord x = r;
			seal(x);
			write_raw(pool_, g.line(slot_, HOST_LINE_MOUNTS + i), &x);
			return AddedMount{i, false};
		}
	return std::nullopt;
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
	uint32_t unknown = 0;
	auto b = read_slot(pool_, g, slot_, unknown);
	bool ok = false;
	HostInfo h = decode(slot_, b.data(), g.mounts, unknown, ok);
	if (!h.unknown_mounts.empty())
		throw Error("mount record " + std::to_string(h.unknown_mounts.front()) + " of this host's slot " +
			    std::to_string(slot_) + " in pool " + pool_.display() + " is unreadable; run 'daxpool fsck --pool " +
			    pool_.display() + "'");
	return h.mounts;
}

uint64_t mountpoint_hash(const std::string &mp)
{
	uint64_t h = 1469598103934665603ull;
	for (unsigned char c : mp) {
		h ^= c;
		h *= 1099511628211ull;
	}
	return h;
}

std::string MountHolder::describe() const
{
	if (unknown)
		return host.describe() + " (its mount record " + std::to_string(mount.record) + " is unreadable)";
	return host.describe() + (mount.mountpoint.empty() ? "" : " at " + mount.mountpoint);
}

bool MountHolder::same(const MountHolder &o) const
{
	return host.slot == o.host.slot && host.claim.nonce == o.host.claim.nonce && mount.record == o.mount.record &&
	       unknown == o.unknown && mount.image_id == o.mount.image_id && mount.since == o.mount.since;
}

std::vector<MountHolder> mount_holders(const std::vector<HostInfo> &hosts, uint64_t image_id)
{
	std::vector<MountHolder> out;
	for (const auto &h : hosts) {
		if (h.left())
			continue;
		for (const auto &m : h.mounts)
			if (m.image_id == image_id)
				out.push_back({h, m, false});
		for (uint32_t i : h.unknown_mounts) {
			MountInfo m;
			m.record = i;
			out.push_back({h, m, true});
		}
	}
	return out;
}

std::vector<MountHolder> mount_holders(Pool &pool, uint64_t image_id)
{
	return mount_holders(read_hosts(pool), image_id);
}

bool record_mount(Pool &pool, const ImageInfo &img, const std::string &mountpoint)
{
	auto s = HostSession::claim(pool);
	MountRecord r{};
	r.image_id = img.id;
	r.generation = img.generation;
	r.since = realtime_ns();
	r.mp_hash = mountpoint_hash(mountpoint);
	r.state = uint32_t(MountState::Pending);
	put_text(r.mountpoint, mountpoint, true);
	auto added = s->add_mount(r); // published before the catalog is read again (Dekker with unload)
	if (!added)
		throw Error("this host already has " + std::to_string(Geo(pool).mounts) + " mounts recorded in pool " +
			    pool.display() + "; unmount one first");
	fault_point("mount.pending");
	Slot now = pool.catalog().snapshot().at(img.slot);
	if (now.damaged() || now.state() != State::Sealed || now.entry.id != img.id ||
	    now.entry.generation != img.generation) {
		if (!added->reused)
			s->update_mount(added->ix, r.image_id, r.mp_hash, MountRecord{});
		throw Error("image '" + img.name + "' (id " + std::to_string(img.id) + ") of pool " + pool.display() +
			    " is being unloaded or has changed (now " + (now.damaged() ? "damaged" : state_name(now.state())) +
			    "); it was not mounted");
	}
	r.state = uint32_t(MountState::Mounted);
	s->update_mount(added->ix, r.image_id, r.mp_hash, r);
	fault_point("mount.recorded");
	return added->reused;
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
			return !h.left() && h.beat.agent_pid &&
			       (::kill(pid_t(h.beat.agent_pid), 0) == 0 || errno == EPERM);
	return false;
}

std::string writer_gone(Pool &pool, const CatalogEntry &e)
{
	const std::string pid = "pid " + std::to_string(e.writer_pid);
	for (const auto &h : read_hosts(pool)) {
		if (!same16(h.claim.machine_id, e.writer_host))
			continue;
		std::string who = h.describe();
		if (!same16(h.claim.boot_id, e.writer_boot))
			continue; // an earlier boot's slot was taken over; look for the writer's boot
		if (h.left())
			return "its writer " + who + " has left the pool";
		if (h.ticket_unknown)
			return "";
		if (!(h.ticket.ticket || h.ticket.choosing) || h.ticket.pid != e.writer_pid)
			return "its writer (" + pid + " of " + who + ") no longer holds the writer role";
		return "";
	}
	return "its writer (" + pid + " of machine-id " + util::hex({e.writer_host, 6}) +
	       ") has no slot in this boot any more (rebooted or cleared)";
}

} // namespace daxpool::pool
