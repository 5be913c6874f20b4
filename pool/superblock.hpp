// SPDX-License-Identifier: GPL-2.0-only
// The pool superblock: building, checking, reading both copies, writing (create and repair).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "pool/layout.hpp"
#include "pool/shmem.hpp"

namespace daxpool::pool {

using Uuid = std::array<uint8_t, 16>;

// A v1 superblock for a new pool (crc set).
PoolSuper make_super(const Uuid &uuid, const std::string &name, uint64_t pool_size, int64_t created);
void set_super_crc(PoolSuper &sb);

// Why this copy is not a valid v1 superblock for a mapping of `mapped` bytes ("" when it is).
std::string check_super(const PoolSuper &sb, uint64_t mapped);
// True when the 256 bytes look like a daxpool superblock (magic), valid or not.
bool has_pool_magic(const PoolSuper &sb);

struct SuperCopies {
	PoolSuper primary{}, backup{};
	std::string primary_problem, backup_problem; // "" = valid
	// The copy to use: the valid one, the higher generation if both are (primary on a tie).
	std::optional<PoolSuper> chosen() const;
};

SuperCopies read_supers(const Shared &sh);

// Create / repair: writes the backup copy, persists, then the primary, persists (a crash leaves
// at least one valid copy once either has been written completely).
void write_supers(Shared &sh, const PoolSuper &sb);
void write_super_copy(Shared &sh, uint64_t off, const PoolSuper &sb);

std::string super_name(const PoolSuper &sb);

} // namespace daxpool::pool
