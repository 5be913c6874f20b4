// SPDX-License-Identifier: GPL-2.0-only
// Human-readable sizes for command lines and listings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace daxpool::util {

// Parses "4096", "512K", "512M", "4G", "4GiB", "1T" (binary multiples, case-insensitive suffix,
// optional "iB"/"B"). Returns nullopt for anything else, including overflow and an empty string.
std::optional<uint64_t> parse_size(std::string_view s);

// The accepted forms, for error messages.
inline constexpr std::string_view size_forms = "bytes, or a number with K, M, G or T (binary: 4G = 4GiB)";

// 4294967296 -> "4.00 GiB", 512 -> "512 B".
std::string format_size(uint64_t bytes);

} // namespace daxpool::util
