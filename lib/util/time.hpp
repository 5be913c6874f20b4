// SPDX-License-Identifier: GPL-2.0-only
// The one way times are shown (text and JSON): ISO 8601 in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace daxpool::util {

// "2026-12-04T17:54:09Z" for SEC seconds since the epoch; with NSEC >= 0 also the nanoseconds,
// "2026-12-04T17:54:09.123456789Z". A time gmtime cannot show prints as the number of seconds.
std::string format_utc(int64_t sec, int64_t nsec = -1);

} // namespace daxpool::util
