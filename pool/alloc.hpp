// SPDX-License-Identifier: GPL-2.0-only
// The data-area allocator. Free space is not stored anywhere: it is the data area minus the
// extents of the catalog's non-free entries, so it can never disagree with the catalog.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace daxpool::pool {

struct Extent {
	uint64_t offset = 0, length = 0;
	uint64_t end() const { return offset + length; }
	bool operator==(const Extent &) const = default;
};

struct SpaceStats {
	uint64_t total = 0;         // bytes of the data area
	uint64_t free = 0;
	uint64_t largest_free = 0;
	uint32_t free_extents = 0;
	// 0..100: share of the free space outside the largest free extent (0 when free is 0):
	// 0 = all free space is one extent; near 100 = shattered.
	unsigned fragmentation = 0;
};

// The free extents of [start, end) given used extents (any order; overlaps tolerated).
std::vector<Extent> free_extents(uint64_t start, uint64_t end, std::vector<Extent> used);
SpaceStats space_stats(uint64_t start, uint64_t end, const std::vector<Extent> &used);
// Best fit: the smallest free extent that holds `length` (a multiple of the alignment), its
// lowest-offset part; the lowest offset on ties. nullopt when nothing fits.
std::optional<Extent> best_fit(uint64_t start, uint64_t end, const std::vector<Extent> &used, uint64_t length);

} // namespace daxpool::pool
