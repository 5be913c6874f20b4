// SPDX-License-Identifier: GPL-2.0-only
#include "pool/catalog.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/names.hpp"

namespace daxpool::pool {

std::string Slot::name() const { return get_name(entry.name); }

const char *state_name(State s)
{
	switch (s) {
	case State::Free: return "free";
	case State::Writing: return "writing";
	case State::Sealed: return "sealed";
	case State::Retired: return "retired";
	}
	return "unknown";
}

bool copy_valid(const CatalogEntry &e) { return e.magic == ENTRY_MAGIC && e.crc == daxfs_crc32c(&e, CRC_LEN); }

Slot decode_slot(uint32_t index, const uint8_t *bytes)
{
	Slot s;
	s.index = index;
	CatalogEntry c[2];
	std::memcpy(c, bytes, sizeof c);
	bool valid[2];
	for (int i = 0; i < 2; i++) {
		valid[i] = copy_valid(c[i]);
		s.bad_copy[i] = !valid[i] && !util::all_zero(&c[i], sizeof c[i]);
		if (s.bad_copy[i] && c[i].magic == ENTRY_MAGIC && c[i].state <= STATE_MAX &&
		    c[i].generation < PLAUSIBLE_MAX && c[i].id < PLAUSIBLE_MAX) {
			s.bad_generation = std::max(s.bad_generation, c[i].generation);
			s.bad_id = std::max(s.bad_id, c[i].id);
		}
	}
	s.winner = copy_in_force(valid, c[0].generation, c[1].generation);
	if (s.winner >= 0)
		s.entry = c[s.winner];
	return s;
}

std::string check_entry_fields(const CatalogEntry &e, const PoolSuper &sb)
{
	if (e.state > STATE_MAX)
		return "unknown state " + std::to_string(e.state);
	if (!util::all_zero(e.reserved, sizeof e.reserved))
		return "reserved bytes not zero";
	if (e.flags)
		return "unknown flags " + std::to_string(e.flags);
	if (static_cast<State>(e.state) == State::Free)
		return {};
	if (!valid_name(get_name(e.name)) || !name_padding_ok(e.name))
		return "bad image name";
	if (e.digest_type != DIGEST_XXH3_128)
		return "unknown digest type " + std::to_string(e.digest_type);
	if (e.id == 0)
		return "image id 0";
	if (e.offset % EXTENT_ALIGN || e.length % EXTENT_ALIGN || e.length == 0)
		return "extent not 2 MiB aligned";
	if (e.offset < sb.data_off || e.offset > sb.pool_size || e.length > sb.pool_size - e.offset)
		return "extent outside the data area";
	if (e.image_size == 0 || e.image_size > e.length || e.image_size % DAXFS_BLOCK_SIZE)
		return "image size " + std::to_string(e.image_size) + " does not fit its extent";
	return {};
}

std::vector<Slot> Catalog::snapshot() const
{
	size_t len = size_t(sb_.catalog_slots) * sb_.catalog_slot_size;
	std::vector<uint8_t> a(len), b(len);
	sh_.read(sb_.catalog_off, a);
	for (int tries = 0;; tries++) {
		sh_.read(sb_.catalog_off, b);
		if (a == b)
			break;
		if (tries == 10000)
			throw Error("the catalog of " + sh_.backend().name() + " keeps changing; cannot read a consistent view");
		std::swap(a, b);
		struct timespec ts = {0, 100000};
		nanosleep(&ts, nullptr);
	}
	std::vector<Slot> slots;
	slots.reserve(sb_.catalog_slots);
	for (uint32_t i = 0; i < sb_.catalog_slots; i++)
		slots.push_back(decode_slot(i, a.data() + size_t(i) * sb_.catalog_slot_size));
	return slots;
}

void Catalog::write(Slot &slot, CatalogEntry next)
{
	check_writer();
	// The slot must still hold what the caller's snapshot says: only the holder of the writer
	// role writes the catalog, so a difference is a deposed writer's store (one that resumed from
	// a pause, docs/multihost.md "What remains"). Nothing is written over it.
	std::vector<uint8_t> now(sb_.catalog_slot_size);
	sh_.read(slot_off(slot.index), now);
	Slot fresh = decode_slot(slot.index, now.data());
	if (fresh.winner != slot.winner ||
	    (slot.winner >= 0 && std::memcmp(&fresh.entry, &slot.entry, sizeof fresh.entry) != 0))
		throw Error("catalog slot " + std::to_string(slot.index) + " of " + sh_.backend().name() +
			    " changed while this process held the writer role (a writer that lost the role stored into "
			    "it); nothing more is written. Check the pool with 'daxpool fsck'");
	next.magic = ENTRY_MAGIC;
	next.crc = daxfs_crc32c(&next, CRC_LEN);
	int target = slot.winner == 0 ? 1 : 0;
	uint64_t off = slot_off(slot.index) + uint64_t(target) * sizeof(CatalogEntry);
	auto bytes = reinterpret_cast<const uint8_t *>(&next);
	// Two halves, each persisted, so that the fault hook can stop a writer between them: the
	// torn copy must then lose to the copy in force.
	constexpr size_t half = sizeof(CatalogEntry) / 2;
	sh_.write(off, {bytes, half});
	sh_.persist(off, half);
	fault_point("catalog.torn");
	check_writer(); // again: a writer paused between the halves stores nothing more
	sh_.write(off + half, {bytes + half, half});
	sh_.persist(off, sizeof(CatalogEntry));
	slot.entry = next;
	slot.winner = target;
	slot.bad_copy[target] = false;
	check_writer(true);
}

void Catalog::format_slot(uint32_t index, bool persist, uint64_t generation, uint64_t id)
{
	check_writer();
	CatalogEntry e{};
	e.magic = ENTRY_MAGIC;
	e.state = static_cast<uint32_t>(State::Free);
	e.generation = generation;
	e.id = id;
	e.writer_slot = NO_SLOT;
	e.crc = daxfs_crc32c(&e, CRC_LEN);
	sh_.zero(slot_off(index), sb_.catalog_slot_size);
	sh_.write_obj(slot_off(index), e);
	if (persist)
		sh_.persist(slot_off(index), sb_.catalog_slot_size);
}

uint64_t max_generation(const std::vector<Slot> &slots)
{
	uint64_t g = 0;
	for (const auto &s : slots)
		if (s.winner >= 0)
			g = std::max(g, s.entry.generation);
	return g;
}

uint64_t max_id(const std::vector<Slot> &slots)
{
	uint64_t g = 0;
	for (const auto &s : slots)
		if (s.winner >= 0)
			g = std::max(g, s.entry.id);
	return g;
}

uint64_t max_generation_seen(const std::vector<Slot> &slots)
{
	uint64_t g = max_generation(slots);
	for (const auto &s : slots)
		g = std::max(g, s.bad_generation);
	return g;
}

uint64_t max_id_seen(const std::vector<Slot> &slots)
{
	uint64_t g = max_id(slots);
	for (const auto &s : slots)
		g = std::max(g, s.bad_id);
	return g;
}

} // namespace daxpool::pool
