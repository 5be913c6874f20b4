// SPDX-License-Identifier: GPL-2.0-only
// Sha: nettle's SHA-256 or SHA-512, the digest algorithms OCI's image-spec registers, as
// lower-case hex (the HEX of an "ALG:HEX" digest).
#pragma once

#include <nettle/sha2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/util/hex.hpp"

namespace daxpool::daxfs {

class Sha {
public:
	// alg: "sha256" or "sha512" (anything else is taken as sha256: callers check first).
	explicit Sha(std::string_view alg) : sha512_(alg == "sha512")
	{
		if (sha512_)
			sha512_init(&s512_);
		else
			sha256_init(&s256_);
	}
	void update(const void *p, size_t n)
	{
		if (sha512_)
			sha512_update(&s512_, n, static_cast<const uint8_t *>(p));
		else
			sha256_update(&s256_, n, static_cast<const uint8_t *>(p));
	}
	std::string hex()
	{
		std::vector<uint8_t> d(sha512_ ? SHA512_DIGEST_SIZE : SHA256_DIGEST_SIZE);
		if (sha512_)
			sha512_digest(&s512_, d.size(), d.data());
		else
			sha256_digest(&s256_, d.size(), d.data());
		return util::hex(d);
	}

private:
	bool sha512_;
	struct sha256_ctx s256_;
	struct sha512_ctx s512_;
};

} // namespace daxpool::daxfs
