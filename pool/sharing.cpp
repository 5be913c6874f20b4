// SPDX-License-Identifier: GPL-2.0-only
#include "pool/sharing.hpp"

#include <algorithm>

namespace daxpool::pool {

std::vector<ImageSharing> image_sharing(const std::vector<ImageInfo> &images, const std::vector<HostInfo> &hosts)
{
	std::vector<const HostInfo *> by_slot;
	for (const auto &h : hosts)
		by_slot.push_back(&h);
	std::sort(by_slot.begin(), by_slot.end(), [](const HostInfo *a, const HostInfo *b) { return a->slot < b->slot; });
	std::vector<ImageSharing> out;
	for (const auto &img : images) {
		if (img.state != State::Sealed)
			continue;
		ImageSharing s;
		s.id = img.id;
		s.name = img.name;
		s.size = img.image_size;
		for (const HostInfo *h : by_slot) {
			if (!alive(h->liveness))
				continue;
			bool has = std::any_of(h->mounts.begin(), h->mounts.end(), [&](const MountInfo &m) {
				return m.state == MountState::Mounted && m.image_id == img.id;
			});
			if (has)
				s.hostnames.push_back(h->hostname);
		}
		out.push_back(std::move(s));
	}
	return out;
}

uint64_t total_saved(const std::vector<ImageSharing> &s)
{
	uint64_t t = 0;
	for (const auto &x : s)
		t += x.saved_size();
	return t;
}

} // namespace daxpool::pool
