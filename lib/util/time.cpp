// SPDX-License-Identifier: GPL-2.0-only
#include "lib/util/time.hpp"

#include <time.h>

#include <cstdio>

namespace daxpool::util {

std::string format_utc(int64_t sec, int64_t nsec)
{
	time_t t = static_cast<time_t>(sec);
	struct tm tm;
	char buf[64];
	if (!::gmtime_r(&t, &tm) || !::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
		return std::to_string(sec);
	char out[96];
	if (nsec >= 0)
		std::snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(nsec));
	else
		std::snprintf(out, sizeof out, "%sZ", buf);
	return out;
}

} // namespace daxpool::util
