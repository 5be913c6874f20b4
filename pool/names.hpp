// SPDX-License-Identifier: GPL-2.0-only
// Pool and image names: 1..63 bytes of [A-Za-z0-9._+:@-], not starting with '.' or '-'; stored
// NUL-padded in 64-byte fields.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "pool/layout.hpp"

namespace daxpool::pool {

inline bool valid_name(std::string_view n)
{
	if (n.empty() || n.size() >= NAME_SIZE || n[0] == '.' || n[0] == '-')
		return false;
	return std::all_of(n.begin(), n.end(), [](char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       std::strchr("._+:@-", c) != nullptr;
	});
}

inline constexpr std::string_view name_rules = "1 to 63 characters of A-Z a-z 0-9 . _ + : @ -, not starting with . or -";

inline void put_name(char (&field)[NAME_SIZE], std::string_view n)
{
	std::memset(field, 0, NAME_SIZE);
	std::memcpy(field, n.data(), std::min<size_t>(n.size(), NAME_SIZE - 1));
}

inline std::string get_name(const char (&field)[NAME_SIZE]) { return std::string(field, strnlen(field, NAME_SIZE)); }

// Bytes after the first NUL are zero, and there is a NUL.
inline bool name_padding_ok(const char (&field)[NAME_SIZE])
{
	size_t n = strnlen(field, NAME_SIZE);
	return n < NAME_SIZE && std::all_of(field + n, field + NAME_SIZE, [](char c) { return c == 0; });
}

} // namespace daxpool::pool
