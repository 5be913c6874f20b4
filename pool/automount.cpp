// SPDX-License-Identifier: GPL-2.0-only
#include "pool/automount.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/catalog.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/pool.hpp"
#include "pool/writer.hpp"

namespace daxpool::pool {

namespace {

// A generation at or above PLAUSIBLE_MAX is not believed: a copy carrying one would win every
// later write (a bit flip, or a hostile writer pinning a path that --clear could not remove).
bool record_valid(const AutomountRecord &r)
{
	return r.magic == AUTOMOUNT_MAGIC && r.crc == daxfs_crc32c(&r, AUTOMOUNT_CRC_LEN) && r.flags == 0 &&
	       r.path[AUTOMOUNT_PATH_SIZE - 1] == 0 && r.generation < PLAUSIBLE_MAX;
}

std::string path_of(const AutomountRecord &r) { return std::string(r.path, strnlen(r.path, sizeof r.path)); }

} // namespace

AutomountSlot decode_automount(uint32_t index, const uint8_t *bytes)
{
	AutomountSlot s;
	s.index = index;
	AutomountRecord c[2];
	std::memcpy(c, bytes, sizeof c);
	bool valid[2];
	for (int i = 0; i < 2; i++) {
		valid[i] = record_valid(c[i]);
		s.bad_copy[i] = !valid[i] && !util::all_zero(&c[i], sizeof c[i]);
	}
	s.winner = copy_in_force(valid, c[0].generation, c[1].generation);
	if (s.winner >= 0)
		s.rec = c[s.winner];
	return s;
}

std::string check_automount_path(const std::string &p)
{
	if (p.empty() || p[0] != '/')
		return "an automount path must be absolute";
	if (p == "/")
		return "nothing is mounted over /";
	if (p.size() >= AUTOMOUNT_PATH_SIZE)
		return "an automount path has at most " + std::to_string(AUTOMOUNT_PATH_SIZE - 1) + " bytes";
	if (p.back() == '/' || p.find("//") != std::string::npos)
		return "an automount path has no empty component (no '//', no trailing '/')";
	for (size_t i = 1; i <= p.size();) {
		size_t j = p.find('/', i);
		if (j == std::string::npos)
			j = p.size();
		std::string c = p.substr(i, j - i);
		if (c == "." || c == "..")
			return "an automount path has no '.' or '..' component";
		i = j + 1;
	}
	for (unsigned char ch : p)
		if (ch < 0x20 || ch == 0x7f)
			return "an automount path has no control characters";
	return {};
}

std::optional<std::string> automount_path(const AutomountSlot &s, uint64_t id)
{
	if (s.winner < 0)
		return s.unreadable() ? std::nullopt : std::optional<std::string>(std::string());
	if (s.rec.image_id != id)
		return std::string(); // a record of an image that was unloaded: it applies to nothing
	std::string p = path_of(s.rec);
	// A valid record whose path breaks the rules came from another writer (or a bug): not
	// believed, like a damaged one.
	if (!p.empty() && !check_automount_path(p).empty())
		return std::nullopt;
	return p;
}

AutomountTable::AutomountTable(Shared &sh, const PoolSuper &sb) : sh_(sh), slots_(sb.catalog_slots)
{
	uint64_t cat_end = sb.catalog_off + uint64_t(sb.catalog_slots) * sb.catalog_slot_size;
	if (sb.catalog_slots > CATALOG_SLOTS || cat_end > AUTOMOUNT_OFF ||
	    AUTOMOUNT_OFF + uint64_t(slots_) * AUTOMOUNT_SLOT_SIZE > sb.data_off ||
	    (sb.backup_off > AUTOMOUNT_OFF && AUTOMOUNT_OFF + uint64_t(slots_) * AUTOMOUNT_SLOT_SIZE > sb.backup_off))
		throw Error("the geometry of pool " + sh.backend().name() + " leaves no room for the automount table");
}

std::vector<AutomountSlot> AutomountTable::snapshot() const
{
	size_t len = size_t(slots_) * AUTOMOUNT_SLOT_SIZE;
	std::vector<uint8_t> a(len), b(len);
	sh_.read(AUTOMOUNT_OFF, a);
	for (int tries = 0;; tries++) {
		sh_.read(AUTOMOUNT_OFF, b);
		if (a == b)
			break;
		if (tries == 10000)
			throw Error("the automount table of " + sh_.backend().name() +
				    " keeps changing; cannot read a consistent view");
		std::swap(a, b);
		struct timespec ts = {0, 100000};
		nanosleep(&ts, nullptr);
	}
	std::vector<AutomountSlot> out;
	out.reserve(slots_);
	for (uint32_t i = 0; i < slots_; i++)
		out.push_back(decode_automount(i, a.data() + size_t(i) * AUTOMOUNT_SLOT_SIZE));
	return out;
}

void AutomountTable::write(AutomountSlot &s, uint64_t id, const std::string &path, const Catalog &cat)
{
	if (!path.empty())
		if (auto why = check_automount_path(path); !why.empty())
			throw Error("'" + path + "': " + why);
	cat.check_writer();
	std::vector<uint8_t> now(AUTOMOUNT_SLOT_SIZE);
	sh_.read(slot_off(s.index), now);
	AutomountSlot fresh = decode_automount(s.index, now.data());
	if (fresh.winner != s.winner || (s.winner >= 0 && std::memcmp(&fresh.rec, &s.rec, sizeof s.rec) != 0))
		throw Error("automount slot " + std::to_string(s.index) + " of " + sh_.backend().name() +
			    " changed while this process held the writer role (a writer that lost the role stored into "
			    "it); nothing more is written. Check the pool with 'daxpool fsck'");
	AutomountRecord next{};
	next.magic = AUTOMOUNT_MAGIC;
	next.generation = (s.winner >= 0 ? s.rec.generation : 0) + 1;
	next.image_id = id;
	std::memcpy(next.path, path.data(), path.size());
	next.crc = daxfs_crc32c(&next, AUTOMOUNT_CRC_LEN);
	int target = s.winner == 0 ? 1 : 0;
	uint64_t off = slot_off(s.index) + uint64_t(target) * sizeof(AutomountRecord);
	auto bytes = reinterpret_cast<const uint8_t *>(&next);
	// Two lines, each persisted, so the fault hook can stop a writer between them: the torn
	// copy then loses to the copy in force.
	sh_.write(off, {bytes, LINE});
	sh_.persist(off, LINE);
	fault_point("automount.torn");
	cat.check_writer();
	sh_.write(off + LINE, {bytes + LINE, LINE});
	sh_.persist(off, sizeof next);
	cat.check_writer(true);
	// Read back: the new copy must be the one in force now.
	sh_.read(slot_off(s.index), now);
	AutomountSlot after = decode_automount(s.index, now.data());
	if (after.winner != target || std::memcmp(&after.rec, &next, sizeof next) != 0)
		throw Error("automount slot " + std::to_string(s.index) + " of " + sh_.backend().name() +
			    " does not hold what was just written to it; check the pool with 'daxpool fsck'");
	s = after;
}

void AutomountTable::clear(uint32_t index)
{
	sh_.zero(slot_off(index), AUTOMOUNT_SLOT_SIZE);
	sh_.persist(slot_off(index), AUTOMOUNT_SLOT_SIZE);
}

void attach_automount(Shared &sh, const PoolSuper &sb, std::vector<ImageInfo> &images)
{
	if (images.empty())
		return;
	auto am = AutomountTable(sh, sb).snapshot();
	for (auto &i : images) {
		auto p = i.slot < am.size() ? automount_path(am[i.slot], i.id) : std::optional<std::string>("");
		i.automount = p.value_or("");
		i.automount_unreadable = !p;
	}
}

ImageInfo Pool::set_automount(const std::string &name, const std::string &path, void (*on_wait)())
{
	if (access() != Access::ReadWrite)
		throw Error("internal error: set_automount on a read-only pool");
	if (!path.empty())
		if (auto why = check_automount_path(path); !why.empty())
			throw Error("'" + path + "': " + why);
	WriterRole role(*this, "automount", on_wait);
	recheck_identity();
	auto slots = catalog().snapshot();
	const Slot *target = nullptr;
	for (const auto &s : slots)
		if (!s.damaged() && s.state() == State::Sealed && s.name() == name)
			target = &s;
	if (!target)
		throw Error("pool " + display() + " has no image '" + name + "' (daxpool list shows the sealed images)");
	AutomountTable t(shared(), super());
	auto am = t.snapshot();
	t.write(am[target->index], target->entry.id, path, catalog());
	ImageInfo out = image_info(*target);
	out.automount = path;
	return out;
}

} // namespace daxpool::pool
