// SPDX-License-Identifier: GPL-2.0-only
#include "pool/clock.hpp"

#include "lib/util/time.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "pool/error.hpp"

namespace daxpool::pool {

namespace {

int64_t read_clock(clockid_t id)
{
	struct timespec ts;
	::clock_gettime(id, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t test_offset_ns()
{
	static const int64_t off = [] {
		const char *v = std::getenv("DAXPOOL_TEST_CLOCK_OFFSET_MS");
		if (!v || !*v)
			return int64_t(0);
		char *end = nullptr;
		long long x = std::strtoll(v, &end, 10);
		if (*end)
			throw Error(std::string("DAXPOOL_TEST_CLOCK_OFFSET_MS='") + v + "' is not a number of milliseconds");
		return int64_t(x) * 1000000;
	}();
	return off;
}

// Nanoseconds this simulated host spent paused (its clocks stood still meanwhile).
int64_t frozen_ns()
{
	static const char *path = std::getenv("DAXPOOL_TEST_FREEZE_FILE");
	if (!path || !*path)
		return 0;
	int fd = ::open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[32] = {};
	ssize_t n = ::read(fd, buf, sizeof buf - 1);
	::close(fd);
	return n > 0 ? std::strtoll(buf, nullptr, 10) : 0;
}

} // namespace

int64_t realtime_ns() { return read_clock(CLOCK_REALTIME) + test_offset_ns() - frozen_ns(); }

int64_t boottime_ns() { return read_clock(CLOCK_BOOTTIME) - frozen_ns(); }

std::string format_time(int64_t ns)
{
	int64_t sec = ns / 1000000000;
	if (ns < 0 && ns % 1000000000)
		sec--; // floor: a time before the epoch is in the second that began earlier
	return util::format_utc(sec);
}

} // namespace daxpool::pool
