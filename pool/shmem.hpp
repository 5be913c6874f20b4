// SPDX-License-Identifier: GPL-2.0-only
// The only code that touches the shared pool mapping. Shared memory across hosts is not cache
// coherent on CXL 2.0 and cross-host atomic read-modify-write cannot be trusted, so:
//   - a writer writes its bytes, flushes their cache lines (clwb, else clflushopt, else
//     clflush), fences, and only then writes the word that publishes them (publish order);
//   - a reader invalidates the lines it is about to read (clflushopt/clflush + fence) so that
//     it sees memory, not a stale line of its own cache.
// docs/pool-format.md, "Shared-memory rules", is the normative text.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "pool/backend.hpp"

namespace daxpool::pool {

namespace shmem {

enum class FlushKind { Clwb, Clflushopt, Clflush, None };

// What flush_range uses on this CPU (CPUID), overridable with DAXPOOL_FLUSH=clwb|clflushopt|
// clflush for tests (a request the CPU cannot honour falls back to the best available one).
FlushKind flush_kind();
// What invalidate_range evicts with: clflushopt when the CPU has it (clwb may keep the line),
// else clflush; DAXPOOL_FLUSH=clflush forces clflush.
FlushKind evict_kind();
const char *flush_name(FlushKind k);

// The choice behind flush_kind() and evict_kind(), from the CPUID flags and DAXPOOL_FLUSH
// (nullptr: unset). Each flag is checked on its own: no instruction implies another.
struct CpuFlush {
	bool clflush = false, clflushopt = false, clwb = false;
};
FlushKind choose_flush(CpuFlush cpu, const char *want);
FlushKind choose_evict(CpuFlush cpu, const char *want);

// Stores len bytes of src (nullptr: zeros) at dst with non-temporal stores (movnti/movntdq):
// they go to memory through the write-combining buffers, never into this host's cache, so no
// dirty line of the pool outlives a killed writer. The unaligned edges are merged into whole
// 8-byte words. Visible to other hosts after the next fence().
void nt_store(void *dst, const void *src, size_t len);
// Writes back the cache lines of [p, p + len) (they may stay cached with clwb).
void flush_range(const void *p, size_t len);
// Writes back and evicts the lines of [p, p + len), then fences, so later loads read memory.
void invalidate_range(const void *p, size_t len);
// Orders earlier flushes and stores before later stores (sfence; mfence after clflush).
void fence();

} // namespace shmem

// Typed access to a pool mapping. Every read invalidates first; every write is followed, before
// anything that depends on it, by persist() (flush + fence + backend durability).
class Shared {
public:
	explicit Shared(Backend &b) : b_(b), base_(b.map().data()), size_(b.map().size()) {}

	uint64_t size() const { return size_; }
	Backend &backend() const { return b_; }

	// Copies [off, off + out.size()) out of the pool after invalidating those lines.
	void read(uint64_t off, std::span<uint8_t> out) const;
	template <typename T> T read_obj(uint64_t off) const
	{
		static_assert(std::is_trivially_copyable_v<T>);
		T v;
		read(off, {reinterpret_cast<uint8_t *>(&v), sizeof v});
		return v;
	}
	// A zero-copy read-only view (for validating an image in place), invalidated first.
	std::span<const uint8_t> view(uint64_t off, uint64_t len) const;

	// Stores bytes with non-temporal stores (shmem::nt_store): nothing is left in this host's
	// cache; they are neither visible to other hosts nor durable until persist() or publish().
	void write(uint64_t off, std::span<const uint8_t> in);
	template <typename T> void write_obj(uint64_t off, const T &v)
	{
		static_assert(std::is_trivially_copyable_v<T>);
		write(off, {reinterpret_cast<const uint8_t *>(&v), sizeof v});
	}
	void zero(uint64_t off, uint64_t len);
	// Flushes the lines of the range, fences, and makes it durable on the backend (msync for a
	// file). After it returns, every host that invalidates and reads the range sees the data.
	void persist(uint64_t off, uint64_t len);
	// persist() in two steps, for bulk data: flush() writes back the lines of each piece as it
	// is stored; durable() then fences and makes the whole range durable on the backend with one
	// call. persist(off, len) == flush(off, len) + durable(off, len).
	void flush(uint64_t off, uint64_t len);
	void durable(uint64_t off, uint64_t len);
	// flush() + fence, without the backend's durability step: for words that other hosts must
	// see but that need not survive a power loss (host-table claims, heartbeats, tickets, mount
	// records: all stale after a crash of their host), so that a heartbeat never waits behind
	// the msync of a large extent.
	void publish(uint64_t off, uint64_t len);
	// The publishing write: persist whatever came before must already have happened; writes v
	// and persists it.
	template <typename T> void commit_obj(uint64_t off, const T &v)
	{
		write_obj(off, v);
		persist(off, sizeof v);
	}

private:
	void check(uint64_t off, uint64_t len) const;
	Backend &b_;
	uint8_t *base_;
	uint64_t size_;
};

} // namespace daxpool::pool
