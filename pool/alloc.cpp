// SPDX-License-Identifier: GPL-2.0-only
#include "pool/alloc.hpp"

#include <algorithm>

namespace daxpool::pool {

std::vector<Extent> free_extents(uint64_t start, uint64_t end, std::vector<Extent> used)
{
	std::sort(used.begin(), used.end(), [](const Extent &a, const Extent &b) { return a.offset < b.offset; });
	std::vector<Extent> out;
	uint64_t cur = start;
	for (const auto &u : used) {
		if (u.offset > cur && cur < end)
			out.push_back({cur, std::min(u.offset, end) - cur});
		cur = std::max(cur, u.end());
	}
	if (cur < end)
		out.push_back({cur, end - cur});
	return out;
}

SpaceStats space_stats(uint64_t start, uint64_t end, const std::vector<Extent> &used)
{
	SpaceStats s;
	s.total = end > start ? end - start : 0;
	for (const auto &f : free_extents(start, end, used)) {
		s.free += f.length;
		s.largest_free = std::max(s.largest_free, f.length);
		s.free_extents++;
	}
	if (s.free)
		s.fragmentation = static_cast<unsigned>((s.free - s.largest_free) * 100 / s.free);
	return s;
}

std::optional<Extent> best_fit(uint64_t start, uint64_t end, const std::vector<Extent> &used, uint64_t length)
{
	std::optional<Extent> best; // the free extent chosen
	for (const auto &f : free_extents(start, end, used))
		if (f.length >= length && (!best || f.length < best->length))
			best = f;
	if (!best)
		return std::nullopt;
	return Extent{best->offset, length};
}

} // namespace daxpool::pool
