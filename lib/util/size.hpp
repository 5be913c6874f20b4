// SPDX-License-Identifier: GPL-2.0-only
// Human-readable sizes for command lines and listings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace daxpool::util {

// The result of parsing a size: a value, or why there is none.
struct SizeParse {
	enum Status { Ok, Invalid, TooLarge } status = Invalid;
	uint64_t value = 0; // when Ok
	explicit operator bool() const { return status == Ok; }
};

// Parses "4096", "512K", "512M", "4G", "4GiB", "1T" (binary multiples, case-insensitive suffix,
// optional "iB"/"B"). TooLarge: a well-formed size above 2^64 - 1 bytes; Invalid: anything
// else that is not one of these forms (including an empty string).
SizeParse parse_size_ex(std::string_view s);
// The value, or nullopt for both failures.
std::optional<uint64_t> parse_size(std::string_view s);

// The accepted forms, for error messages.
inline constexpr std::string_view size_forms = "bytes, or a number with K, M, G or T (binary: 4G = 4GiB)";

// "--size '20000000T': too large (at most 16 EiB - 1 byte)" or "...: expected <size_forms>", for
// a failed parse of `value` given with `flag`.
std::string size_error(std::string_view flag, std::string_view value, const SizeParse &p);

// 4294967296 -> "4.00 GiB", 512 -> "512 B".
std::string format_size(uint64_t bytes);

} // namespace daxpool::util
