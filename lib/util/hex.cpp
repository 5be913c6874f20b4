// SPDX-License-Identifier: GPL-2.0-only
#include "lib/util/hex.hpp"

#include <uuid/uuid.h>

#include <algorithm>

namespace daxpool::util {

std::string hex(std::span<const uint8_t> bytes)
{
	static const char d[] = "0123456789abcdef";
	std::string s;
	s.reserve(bytes.size() * 2);
	for (uint8_t b : bytes) {
		s += d[b >> 4];
		s += d[b & 15];
	}
	return s;
}

std::string format_uuid(std::span<const uint8_t, 16> u)
{
	uuid_t in;
	std::copy(u.begin(), u.end(), in);
	char out[UUID_STR_LEN];
	::uuid_unparse_lower(in, out);
	return out;
}

bool all_zero(const void *p, size_t n)
{
	auto b = static_cast<const uint8_t *>(p);
	return std::all_of(b, b + n, [](uint8_t x) { return x == 0; });
}

} // namespace daxpool::util
