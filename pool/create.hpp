// SPDX-License-Identifier: GPL-2.0-only
// Formatting a pool: on a file here; on a provisioned device in provision.cpp (format_pool is
// the part they share).
#pragma once

#include <cstdint>
#include <string>

#include "pool/backend.hpp"
#include "pool/layout.hpp"
#include "pool/superblock.hpp"

namespace daxpool::pool {

struct CreateOptions {
	std::string path;
	uint64_t size = 0;    // a multiple of 2 MiB, at least MIN_POOL_SIZE
	std::string name;     // default: the file name
	bool force = false;   // overwrite an existing file, pool or filesystem
};

struct CreateResult {
	Uuid uuid{};
	std::string name;
	uint64_t size = 0;
	uint64_t catalog_slots = 0;
};

// "" when size is a valid pool size, else why not, naming the nearest valid sizes.
std::string check_pool_size(uint64_t size);

// Writes an empty pool over [0, size) of the backend: zeroed header, then the backup and the
// primary superblock (docs/pool-format.md, "Create").
// REC (device pools): the region record, written with the zeroed header, before the superblocks.
PoolSuper format_pool(Backend &b, uint64_t size, const std::string &name, const Uuid &uuid,
		      const RegionRecord *rec = nullptr);

// Creates (or with force, overwrites) a file-backed pool. On failure nothing is left behind.
CreateResult create_file_pool(const CreateOptions &o);

Uuid random_uuid();

} // namespace daxpool::pool
