// SPDX-License-Identifier: GPL-2.0-only
// The image catalog: slots of two 256-byte entry copies. The valid copy with the higher
// generation is the entry; a change writes the other copy, so a torn write leaves the previous
// version in force. Written only by the pool's catalog writer (the holder of the writer lock on
// one host; the multi-host writer role across hosts, docs/multihost.md); read by anyone, without locks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pool/layout.hpp"
#include "pool/shmem.hpp"

namespace daxpool::pool {

struct Slot {
	uint32_t index = 0;
	CatalogEntry entry{};   // the entry in force
	int winner = -1;        // the copy in force: 0, 1, or -1 (damaged)
	bool bad_copy[2] = {};  // copy neither valid nor all zero (torn write or corruption)
	// The highest generation and id in the headers of bad copies that still look like entries
	// (magic, known state, values below PLAUSIBLE_MAX): what a torn write leaves. Repair clears
	// a slot above these so that it never lowers an id or a generation (0 when none).
	uint64_t bad_generation = 0, bad_id = 0;
	// No valid copy. A formatted slot always has one (create writes a FREE copy 0), and a
	// write only ever replaces the copy not in force, so this is corruption, never a crash.
	bool damaged() const { return winner < 0; }
	State state() const { return winner < 0 ? State::Free : static_cast<State>(entry.state); }
	bool holds_space() const { return !damaged() && state() != State::Free; }
	std::string name() const;
};

const char *state_name(State s);

// Of a slot's two copies (catalog entries, automount records), the one in force: the valid one
// with the higher generation, the only valid one, or -1 when neither is valid.
inline int copy_in_force(const bool valid[2], uint64_t gen0, uint64_t gen1)
{
	if (valid[0] && valid[1])
		return gen1 > gen0 ? 1 : 0;
	if (valid[0] || valid[1])
		return valid[0] ? 0 : 1;
	return -1;
}

// Magic and CRC of one copy.
bool copy_valid(const CatalogEntry &e);
// Decodes a slot from its 512 bytes.
Slot decode_slot(uint32_t index, const uint8_t *bytes);
// Field rules of an entry in force ("" when they hold): state, extent inside the data area and
// aligned, image size, name, digest type, flags and reserved bytes.
std::string check_entry_fields(const CatalogEntry &e, const PoolSuper &sb);

class Catalog {
public:
	Catalog(Shared &sh, const PoolSuper &sb) : sh_(sh), sb_(sb) {}

	// A consistent view of every slot: the catalog is read until two consecutive reads agree,
	// so the result is the catalog as it was at one instant, whatever a writer is doing.
	std::vector<Slot> snapshot() const;
	// Writer only: makes `next` the entry of `slot` (magic and CRC set here), writing the copy
	// not in force and persisting it; `slot` is updated to the new state.
	void write(Slot &slot, CatalogEntry next);
	// Create and repair: copy 0 a FREE entry of `generation` and `id` (create: 0, 0), copy 1
	// zero (no I/O ordering needed: nothing refers to a slot being formatted or repaired).
	void format_slot(uint32_t index, bool persist = true, uint64_t generation = 0, uint64_t id = 0);

	uint64_t slot_off(uint32_t index) const { return sb_.catalog_off + uint64_t(index) * sb_.catalog_slot_size; }

	// The writer role (pool/writer.hpp) installs a check of its lease: called before every
	// write (after=false; it throws to stop the write) and after it (after=true). Writers of
	// bulk data call check_writer() before each chunk.
	void set_guard(std::function<void(bool after)> g) { guard_ = std::move(g); }
	void check_writer(bool after = false) const
	{
		if (guard_)
			guard_(after);
	}

private:
	std::function<void(bool)> guard_;
	Shared &sh_;
	const PoolSuper &sb_;
};

// Over the entries in force.
uint64_t max_generation(const std::vector<Slot> &slots);
uint64_t max_id(const std::vector<Slot> &slots);
// Also over the plausible headers of bad copies (Slot::bad_generation / bad_id): the floor
// above which repair clears a slot.
uint64_t max_generation_seen(const std::vector<Slot> &slots);
uint64_t max_id_seen(const std::vector<Slot> &slots);

// A bad copy's generation or id at or above this is not believed (a bit flip in the top bits
// must not exhaust the 64-bit sequences).
inline constexpr uint64_t PLAUSIBLE_MAX = uint64_t(1) << 48;

} // namespace daxpool::pool
