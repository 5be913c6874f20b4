// SPDX-License-Identifier: GPL-2.0-only
// The automount table (layout.hpp, docs/pool-format.md "Automount table"): the path at which
// each image is mounted at boot by the hosts that run daxpool-automount@.service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pool/layout.hpp"
#include "pool/shmem.hpp"

namespace daxpool::pool {

class Catalog;
struct ImageInfo;

struct AutomountSlot {
	uint32_t index = 0;
	int winner = -1;           // the copy in force, or -1 (no valid copy)
	AutomountRecord rec{};     // the record in force (all zero when none)
	bool bad_copy[2] = {};     // a copy neither valid nor all zero (torn write or corruption)
	bool unreadable() const { return winner < 0 && (bad_copy[0] || bad_copy[1]); }
};

AutomountSlot decode_automount(uint32_t index, const uint8_t *bytes);

// "" when P may be recorded: absolute, 1..99 bytes, no "." or ".." component, no "//", no
// trailing "/" (except "/" itself, which is refused: nothing is mounted over the root).
std::string check_automount_path(const std::string &p);

// The path recorded for the image with id ID in slot S: "" when none, nullopt when the slot's
// record cannot be read (both copies torn or damaged; fsck reports it, a new write repairs it).
std::optional<std::string> automount_path(const AutomountSlot &s, uint64_t id);

class AutomountTable {
public:
	// Throws Error when the pool's geometry leaves no room for the table (not a v1 pool).
	AutomountTable(Shared &sh, const PoolSuper &sb);
	// Every slot as it was at one instant (read until two reads agree).
	std::vector<AutomountSlot> snapshot() const;
	// Writer role only: records PATH ("" clears) for image ID in catalog slot S, writing the copy
	// not in force and persisting it. CAT's guard is checked before and after (a fenced writer
	// stores nothing), and the slot must still hold what S says (else a deposed writer wrote it).
	void write(AutomountSlot &s, uint64_t id, const std::string &path, const Catalog &cat);
	// Repair: both copies zero (no record).
	void clear(uint32_t index);

	uint64_t slot_off(uint32_t index) const { return AUTOMOUNT_OFF + uint64_t(index) * AUTOMOUNT_SLOT_SIZE; }

private:
	Shared &sh_;
	uint32_t slots_;
};

// Fills in automount / automount_unreadable of IMAGES from the pool's table (one snapshot).
void attach_automount(Shared &sh, const PoolSuper &sb, std::vector<ImageInfo> &images);

} // namespace daxpool::pool
