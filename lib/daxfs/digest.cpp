// SPDX-License-Identifier: GPL-2.0-only
#include "lib/daxfs/digest.hpp"

#include <xxhash.h>

#include <algorithm>
#include <new>

#include "lib/format/daxfs_format.h"

namespace daxpool::daxfs {

namespace {
alignas(64) const uint8_t zeros[64 * 1024] = {};

XXH3_state_t *st(const std::unique_ptr<void, Hasher::Free> &p) { return static_cast<XXH3_state_t *>(p.get()); }
} // namespace

void Hasher::Free::operator()(void *s) const noexcept { XXH3_freeState(static_cast<XXH3_state_t *>(s)); }

Hasher::Hasher() : state_(XXH3_createState())
{
	if (!state_)
		throw std::bad_alloc();
	XXH3_128bits_reset(st(state_));
}

void Hasher::update(const void *buf, size_t len) { XXH3_128bits_update(st(state_), buf, len); }

void Hasher::update_zeros(uint64_t len)
{
	while (len) {
		size_t n = static_cast<size_t>(std::min<uint64_t>(len, sizeof zeros));
		XXH3_128bits_update(st(state_), zeros, n);
		len -= n;
	}
}

Digest Hasher::final() const
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st(state_)));
	Digest d;
	std::copy(std::begin(c.digest), std::end(c.digest), d.begin());
	return d;
}

Digest image_digest(std::span<const uint8_t> image)
{
	Hasher h;
	if (image.size() > DAXFS_META_OFF)
		h.update(image.data() + DAXFS_META_OFF, image.size() - DAXFS_META_OFF);
	return h.final();
}

} // namespace daxpool::daxfs
