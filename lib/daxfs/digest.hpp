// SPDX-License-Identifier: GPL-2.0-only
// The whole-image digest: XXH3-128 (libxxhash) over [4096, total_size), canonical byte order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace daxpool::daxfs {

using Digest = std::array<uint8_t, 16>;

// Streaming XXH3-128.
class Hasher {
public:
	Hasher();
	void update(const void *buf, size_t len);
	void update_zeros(uint64_t len);
	Digest final() const;

	struct Free {
		void operator()(void *s) const noexcept;
	};

private:
	std::unique_ptr<void, Free> state_;
};

// The digest an image's superblock should record (image = the whole image, total_size bytes).
Digest image_digest(std::span<const uint8_t> image);

} // namespace daxpool::daxfs
