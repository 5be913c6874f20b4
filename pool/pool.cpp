// SPDX-License-Identifier: GPL-2.0-only
#include "pool/pool.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "lib/daxfs/fsck.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"
#include "lib/util/hex.hpp"
#include "lib/util/size.hpp"
#include "pool/automount.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/hosts.hpp"
#include "pool/identity.hpp"
#include "pool/lock.hpp"
#include "pool/names.hpp"
#include "pool/writer.hpp"

namespace daxpool::pool {

namespace {

// The epoch and the lease are checked before every chunk: a writer that resumes from a pause
// stores at most one chunk (into its own extent, quarantined: docs/multihost.md) before it stops.
constexpr uint64_t COPY_CHUNK = 2 * MiB;

int64_t now() { return static_cast<int64_t>(::time(nullptr)); }

// Writes the entry in force in `s` again in state `st`, with the next generation after `gen`.
void set_state(Catalog &cat, Slot &s, State st, uint64_t &gen)
{
	CatalogEntry e = s.entry;
	e.state = static_cast<uint32_t>(st);
	e.generation = ++gen;
	e.changed = now();
	cat.write(s, e);
}

bool same(const uint8_t *a, const std::array<uint8_t, 16> &b) { return std::memcmp(a, b.data(), 16) == 0; }

std::string problems_text(const std::vector<std::string> &ps)
{
	std::string s;
	for (const auto &p : ps)
		s += "\n  " + p;
	return s;
}

// Refuses to allocate while the catalog holds an entry whose extent cannot be trusted.
void require_sound(const Pool &pool, const std::vector<Slot> &slots)
{
	for (const auto &s : slots) {
		std::string why;
		if (s.damaged())
			why = "no valid copy";
		else if (s.winner >= 0)
			why = check_entry_fields(s.entry, pool.super());
		if (!why.empty())
			throw Error("catalog slot " + std::to_string(s.index) + " of pool " + pool.display() + " is damaged (" +
				    why + "); run 'daxpool fsck --pool " + pool.display() + " --repair'");
	}
}


std::string secs(int64_t ns)
{
	char b[32];
	std::snprintf(b, sizeof b, "%.1f s", double(ns) / 1e9);
	return b;
}

// The mount check of unload and destroy (docs/multihost.md, "Mounts, unload, --force"): refuses
// while any host that has not left lists image `id`. With `force`, watches those hosts (on this
// host's clock) until each either beats (refused: it is alive) or stands still for its lease +
// margin; the latter's mounts are reclaimed: returned, and described in `forced`.
std::vector<MountHolder> check_holders(Pool &pool, uint64_t id, const std::string &what, bool force,
				       const std::string &force_cmd, std::vector<std::string> &forced)
{
	auto holders = mount_holders(pool, id);
	if (holders.empty())
		return {};
	std::string list;
	int64_t longest = 0;
	std::vector<uint32_t> slots;
	for (const auto &mh : holders) {
		list += (list.empty() ? "" : ", ") + mh.describe();
		longest = std::max(longest, mh.host.expiry_ns());
		if (std::find(slots.begin(), slots.end(), mh.host.slot) == slots.end())
			slots.push_back(mh.host.slot);
	}
	if (!force)
		throw Error(what + " is mounted on " + list + "; unmount it there first. If " +
			    (slots.size() > 1 ? "those hosts are" : "that host is") + " down for good, '" + force_cmd +
			    "' reclaims the mount once its heartbeat has stood still for its lease + margin (" + secs(longest) +
			    ") while this host watches");
	auto judged = watch_until_judged(pool, slots, [&](int64_t wait) {
		std::fprintf(stderr, "daxpool: watching the heartbeat of %s for up to %s before reclaiming\n", list.c_str(),
			     secs(wait).c_str());
	});
	std::string beating;
	std::vector<std::string> mine;
	for (const auto &mh : holders) {
		auto it = std::find_if(judged.begin(), judged.end(), [&](const HostInfo &h) { return h.slot == mh.host.slot; });
		if (it == judged.end() || it->claim.nonce != mh.host.claim.nonce || it->left())
			continue; // left or cleared meanwhile: its mounts are gone with it
		if (alive(it->liveness)) {
			beating += (beating.empty() ? "" : ", ") + mh.describe();
			continue;
		}
		mine.push_back("reclaimed " + what.substr(what.find(' ') + 1) + " from " + mh.describe() +
			       ", whose heartbeat stood still for " + secs(it->still_ns) + " while this host watched (" +
			       it->stamp_text() + ")");
	}
	if (!beating.empty())
		throw Error(what + " is mounted on " + beating +
			    ", whose heartbeat advanced while this host watched; unmount it there first (--force reclaims "
			    "only the mounts of hosts whose heartbeat stands still)");
	forced.insert(forced.end(), mine.begin(), mine.end());
	return holders;
}

// Dekker's second read (docs/multihost.md): every host that has not left and lists the image
// now, besides the mounts `reclaimed` by --force.
std::vector<MountHolder> holders_besides(Pool &pool, uint64_t id, const std::vector<MountHolder> &reclaimed)
{
	std::vector<MountHolder> out;
	for (auto &mh : mount_holders(pool, id))
		if (std::none_of(reclaimed.begin(), reclaimed.end(), [&](const MountHolder &r) { return r.same(mh); }))
			out.push_back(std::move(mh));
	return out;
}
} // namespace

ImageInfo image_info(const Slot &s)
{
	const CatalogEntry &e = s.entry;
	ImageInfo i;
	i.slot = s.index;
	i.id = e.id;
	i.generation = e.generation;
	i.name = get_name(e.name);
	i.state = s.state();
	i.offset = e.offset;
	i.length = e.length;
	i.image_size = e.image_size;
	std::copy(std::begin(e.image_uuid), std::end(e.image_uuid), i.uuid.begin());
	std::copy(std::begin(e.digest), std::end(e.digest), i.digest.begin());
	i.created = e.created;
	i.changed = e.changed;
	i.writer_host = util::hex(e.writer_host);
	i.writer_boot = util::hex(e.writer_boot);
	i.writer_pid = e.writer_pid;
	return i;
}

std::string default_image_name(const std::string &path)
{
	std::string base = path.substr(path.find_last_of('/') + 1);
	for (const char *ext : {".img", ".daxfs"}) {
		size_t n = std::strlen(ext);
		if (base.size() > n && base.compare(base.size() - n, n, ext) == 0) {
			base.resize(base.size() - n);
			break;
		}
	}
	return base;
}

std::unique_ptr<Pool> Pool::open(const PoolRef &ref, Access access)
{
	return std::make_unique<Pool>(open_backend(ref, access), access);
}

Pool::Pool(std::unique_ptr<Backend> b, Access access) : backend_(std::move(b)), access_(access)
{
	sh_ = std::make_unique<Shared>(*backend_);
	copies_ = read_supers(*sh_);
	auto chosen = copies_.chosen();
	if (!chosen)
		throw NotAPool(backend_->name() + " is not a daxpool pool (primary superblock: " + copies_.primary_problem +
				       "; backup superblock: " + copies_.backup_problem + ")",
			       has_pool_magic(copies_.primary) || has_pool_magic(copies_.backup));
	sb_ = *chosen;
	cat_ = std::make_unique<Catalog>(*sh_, sb_);
}

void Pool::recheck_identity()
{
	// The pool may have been re-created (create --force) while we waited for the lock.
	auto now = read_supers(*sh_).chosen();
	if (!now || !std::equal(std::begin(now->uuid), std::end(now->uuid), std::begin(sb_.uuid)))
		throw Error(backend_->name() + " was re-created or damaged while this command waited; run it again");
}

Presence Pool::presence() const
{
	const SuperCopies now = read_supers(*sh_);
	if (auto c = now.chosen())
		return std::equal(std::begin(c->uuid), std::end(c->uuid), std::begin(sb_.uuid)) ? Presence::Same
												  : Presence::Replaced;
	return has_pool_magic(now.primary) || has_pool_magic(now.backup) ? Presence::Damaged : Presence::Gone;
}

std::string Pool::uuid() const
{
	Uuid u;
	std::copy(std::begin(sb_.uuid), std::end(sb_.uuid), u.begin());
	return util::format_uuid(u);
}

std::vector<Extent> Pool::used_extents(const std::vector<Slot> &slots) const
{
	std::vector<Extent> used;
	for (const auto &s : slots)
		if (s.holds_space() && check_entry_fields(s.entry, sb_).empty())
			used.push_back({s.entry.offset, s.entry.length});
	return used;
}

PoolInfo Pool::info(bool all) const
{
	PoolInfo p;
	p.source = backend_->describe();
	std::copy(std::begin(sb_.uuid), std::end(sb_.uuid), p.uuid.begin());
	p.name = super_name(sb_);
	p.size = sb_.pool_size;
	p.data_off = sb_.data_off;
	p.created = sb_.created;
	p.catalog_slots = sb_.catalog_slots;
	if (!copies_.primary_problem.empty())
		p.superblock_problems.push_back("primary superblock: " + copies_.primary_problem);
	if (!copies_.backup_problem.empty())
		p.superblock_problems.push_back("backup superblock: " + copies_.backup_problem);
	auto slots = cat_->snapshot();
	for (const auto &s : slots) {
		if (s.damaged())
			p.damaged_slots++;
		if (!s.holds_space())
			continue;
		p.catalog_used++;
		if (all || s.state() == State::Sealed)
			p.images.push_back(image_info(s));
	}
	attach_automount(*sh_, sb_, p.images);
	std::sort(p.images.begin(), p.images.end(),
		  [](const ImageInfo &a, const ImageInfo &b) { return a.offset < b.offset; });
	p.space = space_stats(sb_.data_off, sb_.pool_size, used_extents(slots));
	return p;
}

std::optional<std::string> reclaim_reason(Pool &pool, const Slot &s)
{
	if (s.winner < 0)
		return std::nullopt;
	const CatalogEntry &e = s.entry;
	const Identity &me = self();
	switch (s.state()) {
	case State::Writing:
		// The caller holds the writer role, which every writer holds from before it writes
		// WRITING until SEALED: whoever wrote this entry lost the role. But a writer that lost it
		// while paused may resume and store one more chunk before it finds the epoch moved: its
		// extent is reused only once its host shows that process stopped (docs/multihost.md,
		// "Quarantine").
		if (same(e.writer_host, me.host) && same(e.writer_boot, me.boot))
			// This host's writer lock was free (the caller holds it): that process has exited.
			return "interrupted load by pid " + std::to_string(e.writer_pid) + " (gone: the writer lock was free)";
		if (std::string why = writer_gone(pool, e); !why.empty())
			return "interrupted load: " + why;
		return std::nullopt;
	case State::Retired:
		// Any host's record keeps it, an expired host's too: that one is reclaimed only with
		// an explicit `unload --force` (docs/multihost.md).
		if (!mount_holders(pool, e.id).empty() || !pool.backend().mounted_here(e.offset).empty())
			return std::nullopt;
		return "retired, mounted nowhere";
	default:
		return std::nullopt;
	}
}

ImageInfo Pool::load(const LoadOptions &o)
{
	if (access_ != Access::ReadWrite)
		throw Error("internal error: load on a read-only pool");
	// 1. The image, validated completely before anything touches the pool.
	util::Mapping img;
	try {
		img = util::Mapping::open(o.image);
	} catch (const std::system_error &e) {
		throw Error(e.what());
	}
	daxfs::FsckReport r = daxfs::fsck_bytes(img.bytes());
	if (!r.ok())
		throw Error(o.image + " is not a valid daxfs image:" + problems_text(r.problems));
	std::string name = o.name.empty() ? default_image_name(o.image) : o.name;
	if (!valid_name(name))
		throw Error((o.name.empty() ? "the image file name '" + name + "' is not a valid image name; give one with --name"
					    : "--name '" + name + "' is not a valid image name") +
			    " (" + std::string(name_rules) + ")");
	const uint64_t size = r.size, length = align_up(size, EXTENT_ALIGN);
	if (!o.automount.empty())
		if (auto why = check_automount_path(o.automount); !why.empty())
			throw Error("--automount '" + o.automount + "': " + why);

	// 2. Plan under the writer lock, changing nothing until every check has passed.
	WriterRole role(*this, "load", o.on_wait);
	recheck_identity();
	auto slots = cat_->snapshot();
	require_sound(*this, slots);
	std::vector<std::pair<uint32_t, std::string>> reclaim;
	std::vector<Extent> used;
	for (const auto &s : slots) {
		if (!s.holds_space())
			continue;
		if (auto why = reclaim_reason(*this, s)) {
			reclaim.emplace_back(s.index, *why);
			continue;
		}
		used.push_back({s.entry.offset, s.entry.length});
		if (s.state() != State::Retired && s.name() == name)
			throw Error("pool " + display() + " already has an image named '" + name + "' (id " +
				    std::to_string(s.entry.id) + ", " + state_name(s.state()) + "); choose another with --name");
	}
	auto ext = best_fit(sb_.data_off, sb_.pool_size, used, length);
	if (!ext) {
		SpaceStats st = space_stats(sb_.data_off, sb_.pool_size, used);
		throw Error("pool " + display() + " is full: " + o.image + " needs a free extent of " +
			    util::format_size(length) + ", the pool has " + util::format_size(st.free) + " free in " +
			    std::to_string(st.free_extents) + " extent(s), the largest " + util::format_size(st.largest_free));
	}
	std::optional<uint32_t> slot_ix;
	for (const auto &s : slots)
		if (!s.damaged() && s.state() == State::Free) {
			slot_ix = s.index;
			break;
		}
	if (!slot_ix && !reclaim.empty())
		slot_ix = reclaim.front().first;
	if (!slot_ix)
		throw Error("the catalog of pool " + display() + " is full (" + std::to_string(sb_.catalog_slots) +
			    " images); unload one first");
	backend_->reserve(ext->offset, ext->length);

	// 3. Reclaim what dead writers left (each a single-entry change).
	uint64_t gen = max_generation(slots);
	for (const auto &[ix, why] : reclaim) {
		set_state(*cat_, slots[ix], State::Free, gen);
		fault_point("reclaim.freed");
	}

	// 4. The WRITING entry reserves the extent; it is invisible to list and mount.
	Slot &slot = slots[*slot_ix];
	const Identity &me = self();
	CatalogEntry e{};
	e.state = static_cast<uint32_t>(State::Writing);
	e.generation = ++gen;
	e.id = max_id(slots) + 1;
	e.offset = ext->offset;
	e.length = ext->length;
	e.image_size = size;
	const daxfs_super &isb = *reinterpret_cast<const daxfs_super *>(img.bytes().data());
	std::memcpy(e.image_uuid, isb.uuid, sizeof e.image_uuid);
	std::copy(r.recorded.begin(), r.recorded.end(), e.digest);
	e.digest_type = DIGEST_XXH3_128;
	e.created = e.changed = now();
	std::copy(me.host.begin(), me.host.end(), e.writer_host);
	std::copy(me.boot.begin(), me.boot.end(), e.writer_boot);
	e.writer_pid = me.pid;
	e.writer_slot = role.slot();
	put_name(e.name, name);
	cat_->write(slot, e);
	fault_point("load.writing");

	try {
		// 5. Copy in chunks with non-temporal stores (nothing stays in this host's cache); then
		// one fence and one backend sync (msync of a file) of the whole extent. The data is
		// durable before step 7 writes SEALED, which is all the crash order needs.
		const uint8_t *src = img.bytes().data();
		for (uint64_t done = 0; done < size;) {
			uint64_t n = std::min(COPY_CHUNK, size - done);
			if (o.stop && o.stop->load())
				throw Error("interrupted: " + o.image + " was not loaded; its space in pool " + display() +
					    " is free again");
			cat_->check_writer(); // the extent is ours only while the lease and the epoch hold
			sh_->write(e.offset + done, {src + done, static_cast<size_t>(n)});
			done += n;
			if (o.progress)
				o.progress(done, size);
			fault_point("load.copy");
		}
		sh_->durable(e.offset, size);
		fault_point("load.durable");
		// 6. Read back from memory (invalidated) and prove it is the same image.
		// The digest does not cover the image superblock, and the source file may have changed
		// since it was validated: the bytes in the pool must also be the size and carry the
		// UUID that the entry records.
		std::span<const uint8_t> in_pool = sh_->view(e.offset, size);
		daxfs::FsckReport back = daxfs::fsck_bytes(in_pool);
		std::vector<std::string> why = back.problems;
		if (back.ok() && back.computed != r.recorded)
			why.push_back("digest " + util::hex(back.computed) + " differs from the validated source's " +
				      util::hex(r.recorded));
		if (back.structure_ok && back.size != e.image_size)
			why.push_back("image size " + std::to_string(back.size) + " differs from the validated " +
				      std::to_string(e.image_size));
		if (back.structure_ok &&
		    std::memcmp(reinterpret_cast<const daxfs_super *>(in_pool.data())->uuid, e.image_uuid, 16) != 0)
			why.push_back("image UUID differs from the validated source's (was the file changed during the load?)");
		if (!why.empty())
			throw Error("read-back verification of " + o.image + " in pool " + display() +
				    " failed; the image was not loaded:" + problems_text(why));
		fault_point("load.verified");
	} catch (...) {
		// Alive and holding the lock: give the extent back at once.
		set_state(*cat_, slot, State::Free, gen);
		throw;
	}

	// 7. Seal: from here on the image is visible, with its automount path (recorded first, so
	// a host booting meanwhile never sees it sealed without one).
	std::string automount;
	if (!o.automount.empty()) {
		try {
			AutomountTable t(*sh_, sb_);
			auto am = t.snapshot();
			t.write(am[slot.index], e.id, o.automount, *cat_);
			automount = o.automount;
		} catch (...) {
			set_state(*cat_, slot, State::Free, gen);
			throw;
		}
	}
	set_state(*cat_, slot, State::Sealed, gen);
	fault_point("load.sealed");
	ImageInfo out = image_info(slot);
	out.automount = automount;
	return out;
}

ImageInfo Pool::unload(const std::string &name, void (*on_wait)(), bool force, std::vector<std::string> *reclaimed)
{
	if (access_ != Access::ReadWrite)
		throw Error("internal error: unload on a read-only pool");
	WriterRole role(*this, "unload", on_wait);
	recheck_identity();
	auto slots = cat_->snapshot();
	Slot *target = nullptr, *retired = nullptr, *writing = nullptr;
	std::string other_state;
	for (auto &s : slots) {
		if (s.damaged() || s.state() == State::Free || s.name() != name)
			continue;
		if (s.state() == State::Sealed)
			target = &s;
		else if (s.state() == State::Retired)
			retired = &s;
		else if (s.state() == State::Writing)
			writing = &s;
		else
			other_state = state_name(s.state());
	}
	const std::string force_cmd = "daxpool unload " + name + " --pool " + display() + " --force";
	if (!target && retired) {
		// Unloaded while a host had it mounted: it stays RETIRED while any host lists it. A
		// host that is down for good has its record reclaimed like a sealed image's, with --force.
		// Without --force, a host still lists it (else the next writer frees it): say which.
		if (force)
			target = retired;
		else {
			std::vector<std::string> ignored;
			check_holders(*this, retired->entry.id, "retired image '" + name + "'", false, force_cmd, ignored);
			other_state = state_name(State::Retired);
		}
	}
	if (!target && writing && !reclaim_reason(*this, *writing))
		return unload_quarantined(*writing, force, force_cmd, slots, reclaimed);
	if (!target) {
		if (!other_state.empty() || writing)
			throw Error("image '" + name + "' in pool " + display() + " is not sealed (" +
				    (writing ? state_name(State::Writing) : other_state) +
				    "): there is nothing to unload; its space is reclaimed automatically");
		throw Error("pool " + display() + " has no image named '" + name + "'");
	}
	// A daxfs mount on this host reads the extent: freeing it would let the next load
	// overwrite what the mount serves.
	if (auto here = backend_->mounted_here(target->entry.offset); !here.empty())
		throw Error("image '" + name + "' is mounted on this host at " + here.front() +
			    "; unmount it first (daxpool umount " + here.front() + ")");
	std::vector<std::string> forced;
	auto gone = check_holders(*this, target->entry.id, (target == retired ? "retired image '" : "image '") + name + "'",
				  force, force_cmd, forced);
	if (reclaimed)
		reclaimed->insert(reclaimed->end(), forced.begin(), forced.end());
	fault_point("unload.checked");
	uint64_t gen = max_generation(slots);
	for (auto &s : slots) {
		if (&s == target || !s.holds_space())
			continue;
		if (reclaim_reason(*this, s)) {
			set_state(*cat_, s, State::Free, gen);
			fault_point("reclaim.freed");
		}
	}
	// RETIRED first: invisible to new mounts while the extent is still held. Then the host
	// table again: a host that recorded a mount meanwhile wins (docs/multihost.md, Dekker).
	// (An entry RETIRED already cannot gain a mount: record_mount requires SEALED.)
	if (target->state() == State::Sealed) {
		set_state(*cat_, *target, State::Retired, gen);
		fault_point("unload.retired");
	}
	ImageInfo info = image_info(*target);
	if (!holders_besides(*this, target->entry.id, gone).empty())
		return info; // stays RETIRED; freed by a later writer once nobody has it mounted
	set_state(*cat_, *target, State::Free, gen);
	fault_point("unload.freed");
	return info;
}

// An interrupted load of another host that is quarantined (docs/multihost.md): refused without
// `force`; with it, watches the writer's host and reclaims only once it stood still (described
// in `reclaimed`).
void Pool::check_quarantined(const Slot &w, bool force, const std::string &force_cmd,
			     std::vector<std::string> *reclaimed)
{
	const CatalogEntry &e = w.entry;
	const std::string what = "image '" + w.name() + "' of pool " + display() + " is being loaded by pid " +
				 std::to_string(e.writer_pid) + " of another host";
	std::optional<HostInfo> writer;
	for (const auto &h : read_hosts(*this))
		if (std::memcmp(h.claim.machine_id, e.writer_host, 16) == 0 && std::memcmp(h.claim.boot_id, e.writer_boot, 16) == 0)
			writer = h;
	if (!writer)
		throw Error("internal error: the writer of image '" + w.name() + "' has no slot but its load was not reclaimed");
	if (!force)
		throw Error(what + " (" + writer->describe() + "), or that load stopped while its host was paused: its "
			    "space is reclaimed once that host shows the load ended (any daxpool command there does). If "
			    "that host is down for good, '" + force_cmd + "' reclaims it once its heartbeat has stood still "
			    "for its lease + margin (" + secs(writer->expiry_ns()) + ") while this host watches");
	auto judged = watch_until_judged(*this, {writer->slot}, [&](int64_t wait) {
		std::fprintf(stderr, "daxpool: watching the heartbeat of %s for up to %s before reclaiming\n",
			     writer->describe().c_str(), secs(wait).c_str());
	});
	if (!judged.empty() && judged.front().claim.nonce == writer->claim.nonce && alive(judged.front().liveness))
		throw Error(what + " (" + writer->describe() + "), whose heartbeat advanced while this host watched; "
			    "its space is reclaimed once that host shows the load ended");
	if (reclaimed)
		reclaimed->push_back("reclaimed the interrupted load of '" + w.name() + "' from " + writer->describe() +
				     (judged.empty() ? std::string(", which left the pool")
						     : ", whose heartbeat stood still for " + secs(judged.front().still_ns) +
							       " while this host watched (" + judged.front().stamp_text() + ")"));
}

ImageInfo Pool::unload_quarantined(Slot &w, bool force, const std::string &force_cmd, std::vector<Slot> &slots,
				   std::vector<std::string> *reclaimed)
{
	check_quarantined(w, force, force_cmd, reclaimed);
	uint64_t gen = max_generation(slots);
	ImageInfo info = image_info(w);
	set_state(*cat_, w, State::Free, gen);
	return info;
}

void Pool::destroy(bool force, const std::string &who, const std::string &force_cmd, void (*on_wait)(),
		   std::vector<std::string> *reclaimed)
{
	if (access_ != Access::ReadWrite)
		throw Error("internal error: destroy on a read-only pool");
	WriterRole role(*this, "destroy", on_wait);
	recheck_identity();
	auto slots = cat_->snapshot();
	std::vector<std::string> forced;
	std::vector<MountHolder> gone;
	size_t sealed = 0;
	for (const auto &s : slots) {
		if (!s.holds_space())
			continue;
		const std::string what = "image '" + s.name() + "' (" + state_name(s.state()) + ")";
		// A load that lost the role while its host may be paused could still store into the
		// extent: it stays out of a new pool's reach only if this one keeps it (docs/multihost.md).
		if (s.state() == State::Writing && !reclaim_reason(*this, s)) {
			try {
				check_quarantined(s, force, force_cmd, &forced);
			} catch (const Error &e) {
				throw Error("refusing to destroy " + who + ": " + e.what());
			}
			continue;
		}
		if (auto here = backend_->mounted_here(s.entry.offset); !here.empty())
			throw Error("refusing to destroy " + who + ": " + what + " is mounted on this host at " + here.front() +
				    "; unmount it first (--force never unmounts)");
		try {
			auto g = check_holders(*this, s.entry.id, what, force, force_cmd, forced);
			gone.insert(gone.end(), g.begin(), g.end());
		} catch (const Error &e) {
			throw Error("refusing to destroy " + who + ": " + e.what() + " (--force never unmounts others)");
		}
		sealed += s.state() == State::Sealed;
	}
	if (sealed && !force)
		throw Error("refusing to destroy " + who + ": it holds " + std::to_string(sealed) +
			    " image(s); unload them or use --force");
	if (reclaimed)
		reclaimed->insert(reclaimed->end(), forced.begin(), forced.end());
	fault_point("destroy.checked");
	// Dekker with record_mount, as in unload: RETIRED first, then the host table again.
	uint64_t gen = max_generation(slots);
	for (auto &s : slots)
		if (s.holds_space() && s.state() == State::Sealed)
			set_state(*cat_, s, State::Retired, gen);
	fault_point("destroy.retired");
	for (const auto &s : slots)
		if (s.holds_space())
			if (auto hosts = holders_besides(*this, s.entry.id, gone); !hosts.empty())
				throw Error("refusing to destroy " + who + ": " + hosts.front().describe() + " mounted image '" + s.name() +
					    "' meanwhile; the pool is kept, its images are retired (unloaded)");
	// The pool stops existing once both superblocks are gone (primary first: readers that find
	// only the backup still see a consistent pool until it goes too).
	cat_->check_writer();
	sh_->zero(PRIMARY_SB_OFF, 4 * KiB);
	sh_->persist(PRIMARY_SB_OFF, 4 * KiB);
	sh_->zero(BACKUP_SB_OFF, 4 * KiB);
	sh_->persist(BACKUP_SB_OFF, 4 * KiB);
	sh_->zero(REGION_RECORD_OFF, sizeof(RegionRecord));
	sh_->persist(REGION_RECORD_OFF, sizeof(RegionRecord));
}

} // namespace daxpool::pool
