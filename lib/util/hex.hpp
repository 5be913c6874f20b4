// SPDX-License-Identifier: GPL-2.0-only
// Hexadecimal digits and byte strings, for UUIDs, digests and host ids; and the all-zero test
// of reserved and padding bytes. One copy for lib/daxfs, pool/ and cli/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace daxpool::util {

// 0..15 for a hex digit (either case), -1 for anything else.
constexpr int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// Lower-case hex of every byte, no separators: {0x01, 0xab} -> "01ab".
std::string hex(std::span<const uint8_t> bytes);

// The 36-character UUID form: "01234567-89ab-cdef-0123-456789abcdef".
std::string format_uuid(std::span<const uint8_t, 16> u);

// True when the n bytes at p are all zero (true for n == 0).
bool all_zero(const void *p, size_t n);

} // namespace daxpool::util
