// SPDX-License-Identifier: GPL-2.0-only
// Hexadecimal digits, for UUIDs and host ids.
#pragma once

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

} // namespace daxpool::util
