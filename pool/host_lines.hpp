// SPDX-License-Identifier: GPL-2.0-only
// The host table's line encoding (docs/pool-format.md, "Host table"): where a slot's lines are,
// reading one line or one slot with invalidation and retry, writing a line whole and publishing
// it, and the host-local slot lock. Internal to the pool/host_*.cpp files.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"
#include "pool/hosts.hpp"
#include "pool/layout.hpp"

namespace daxpool::pool {

class Pool;

namespace hostline {

constexpr int64_t MS = 1000000;

void sleep_ms(double ms);

template <typename T> void seal(T &line) { line.crc = daxfs_crc32c(&line, LINE_CRC_LEN); }
template <typename T> bool sealed_ok(const T &line) { return line.crc == daxfs_crc32c(&line, LINE_CRC_LEN); }
inline bool same16(const uint8_t *a, const uint8_t *b) { return std::memcmp(a, b, 16) == 0; }
inline std::string text(const char *p, size_t n) { return std::string(p, strnlen(p, n)); }

template <size_t N> void put_text(char (&dst)[N], const std::string &s, bool tail)
{
	std::memset(dst, 0, N);
	std::string v = s.size() <= N ? s : tail ? s.substr(s.size() - N) : s.substr(0, N);
	std::memcpy(dst, v.data(), v.size());
}

// Where the host table is (the superblock's recorded geometry).
struct Geo {
	uint64_t off;
	uint32_t slots, slot_size, mounts;
	explicit Geo(const Pool &p);
	uint64_t line(uint32_t slot, uint32_t line) const { return off + uint64_t(slot) * slot_size + uint64_t(line) * LINE; }
};

// A line read back: all zero (never written, or cleared), valid (its CRC holds), or unknown
// (it kept failing its CRC over several reads: being written, torn, or damaged). Unknown is
// never read as empty or zero (docs/multihost.md, "Unreadable lines").
enum class LineRead { Empty, Valid, Unknown };

LineRead read_raw_line(Pool &p, uint64_t off, void *out);
template <typename T> LineRead read_line(Pool &p, uint64_t off, T &out)
{
	static_assert(sizeof(T) == LINE);
	return read_raw_line(p, off, &out);
}

// Stores the line whole (non-temporal) and publishes it to every host.
void write_raw(Pool &p, uint64_t off, const void *bytes);
// Zeroes the lines from..end of a slot and publishes them.
void zero_lines(Pool &p, const Geo &g, uint32_t slot, uint32_t from);

// One slot's bytes, read again while a non-zero line fails its CRC (being written), a few
// times; which lines stayed unreadable is returned in `unknown` (bit per line).
std::vector<uint8_t> read_slot(Pool &p, const Geo &g, uint32_t slot, uint32_t &unknown);

// Decodes one slot read by read_slot; ok is false for a slot whose claim line is empty or invalid.
HostInfo decode(uint32_t slot, const uint8_t *b, uint32_t mounts, uint32_t unknown, bool &ok);

// The host-local slot lock: an OFD write lock on another byte of the pool's lock path than the
// writer lock (pool/lock.hpp). Serializes every write of this host's slot by the processes and
// threads of this host; released when the descriptor closes.
class SlotLock {
public:
	explicit SlotLock(const std::string &path);

private:
	util::Fd fd_;
};

} // namespace hostline
} // namespace daxpool::pool
