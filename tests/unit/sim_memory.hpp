// SPDX-License-Identifier: GPL-2.0-only
// A non-coherent shared memory for the tests (docs/sim.md): a pool::Backend whose map() is this
// process's private "CPU cache" of 64-byte lines over a pool file that plays the CXL memory.
//
//   fetch        (invalidate before a read): dirty lines are written back, then every line of
//                the range is reloaded from memory. Lines not fetched keep their (stale) bytes.
//   prepare_write the lines are loaded and become Pending: a store is about to be made.
//   stored_nt    the store was non-temporal: its words go to memory now, the lines leave the
//                cache. A Pending line that meets any other hook of its thread was stored with
//                a cached store (no stored_nt): it becomes Dirty.
//   flushed      the range's dirty lines are written back (and stay cached, clean).
//
// Memory is written in aligned 8-byte words (the only atomic unit), a line's words in random
// order with occasional yields, so a concurrent reader can see a torn line. At random hook
// calls a random dirty line is evicted (written back) early. The cache (line states and bytes)
// lives in a per-process file, so that after the process is SIGKILLed the driver can land what
// it was storing (DeadCache::land_pending, at once) and write back its dirty lines at a random
// later time (DeadCache::write_back_dirty), as the cache of a crashed host would.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pool/backend.hpp"

namespace daxpool::sim {

enum class LineState : uint8_t { Uncached = 0, Clean = 1, Pending = 2, Dirty = 3 };

// A MAP_SHARED mapping of a whole file, unmapped on destruction.
class FileMap {
public:
	FileMap() = default;
	// create: make the file (exclusive) of `size` bytes first.
	FileMap(const std::string &path, bool create, uint64_t size = 0);
	~FileMap();
	FileMap(FileMap &&o) noexcept { *this = std::move(o); }
	FileMap &operator=(FileMap &&o) noexcept;
	FileMap(const FileMap &) = delete;
	FileMap &operator=(const FileMap &) = delete;
	uint8_t *data() const { return p_; }
	uint64_t size() const { return n_; }

private:
	uint8_t *p_ = nullptr;
	uint64_t n_ = 0;
};

// The memory side: 8-byte words of the pool file, each stored and loaded atomically.
class Memory {
public:
	explicit Memory(const std::string &pool_path) : map_(pool_path, false) {}
	uint64_t size() const { return map_.size(); }
	uint64_t load(uint64_t off) const;
	void store(uint64_t off, uint64_t v);
	// Stores words [first, last) of line `line` from src (the line's 64 bytes) in random order,
	// with a yield now and then between two of them (a concurrent reader sees a torn line).
	// bulk: part of a large write (fewer yields).
	void store_line(uint64_t line, const uint8_t *src, unsigned first, unsigned last, std::mt19937_64 &rng,
			bool bulk);
	void load_line(uint64_t line, uint8_t *dst) const;

private:
	FileMap map_;
};

struct SimOptions {
	std::string state_dir; // where the per-process cache file goes (sim-PID-N.cache)
	uint64_t seed = 1;
	unsigned evict_one_in = 16; // a random dirty line is evicted at 1 in N hook calls
	// Yield between two words of a line written to memory at 1 in N lines (small writes).
	unsigned tear_one_in = 4;
};

class SimBackend final : public pool::Backend {
public:
	SimBackend(const std::string &pool_path, SimOptions o);
	// A clean exit: dirty lines are written back (the host lives on), the cache file removed.
	~SimBackend() override;
	SimBackend(const SimBackend &) = delete;
	SimBackend &operator=(const SimBackend &) = delete;

	std::span<uint8_t> map() const override;
	void reserve(uint64_t, uint64_t) override {}
	void sync(uint64_t, uint64_t) override {}
	std::string describe() const override { return "simulated non-coherent memory " + path_; }
	std::string name() const override { return path_; }
	std::string lock_path() const override { return path_; }
	void fetch(uint64_t off, uint64_t len) const override;
	void prepare_write(uint64_t off, uint64_t len) override;
	void stored_nt(uint64_t off, uint64_t len) override;
	void flushed(uint64_t off, uint64_t len) override;
	void fenced() override;

	// Called by prepare_write with the range about to be stored (the model test checks there
	// that a writer of the catalog still holds the writer role). May throw or exit.
	void set_store_check(std::function<void(uint64_t, uint64_t)> f) { check_ = std::move(f); }
	LineState state(uint64_t line) const;
	std::string cache_path() const { return cache_path_; }
	// Writes back every dirty line (tests).
	void write_back_all();

private:
	template <typename Fn> void each_line(uint64_t off, uint64_t len, Fn fn) const;
	void own_pending_to_dirty() const;
	void write_back(uint64_t line, bool bulk) const;
	void maybe_evict() const;
	void mark(uint64_t line, LineState s) const;

	std::string path_, cache_path_;
	SimOptions o_;
	mutable Memory mem_;
	FileMap cache_;
	uint64_t size_ = 0, lines_ = 0;
	LineState *state_ = nullptr;
	uint8_t *shadow_ = nullptr;
	std::function<void(uint64_t, uint64_t)> check_;
	mutable std::recursive_mutex m_;
	mutable std::mt19937_64 rng_;
	// Ranges prepared for a store and not yet reported by stored_nt, by thread.
	mutable std::vector<std::pair<std::thread::id, std::pair<uint64_t, uint64_t>>> pending_;
	mutable std::vector<uint64_t> dirty_; // candidates for eviction (may hold clean ones)
};

// Whether process `pid` is in the middle of a bulk store or its write-back (image data): the
// driver's targeted kills.
bool storing_bulk(const std::string &state_dir, int pid);

// The cache file a SimBackend process left when it died (SIGKILL, _exit). The driver opens it
// when it reaps the process, lands the stores it was making at once, writes its dirty lines
// back later, and the destructor removes the file.
class DeadCache {
public:
	// The cache files of process `pid` (none: not a simulator process, or a clean exit).
	static std::vector<DeadCache> open_all(const std::string &state_dir, int pid, const std::string &pool_path);
	~DeadCache();
	DeadCache(DeadCache &&o) noexcept : path_(std::exchange(o.path_, {})), cache_(std::move(o.cache_)), mem_(std::move(o.mem_)) {}
	DeadCache &operator=(DeadCache &&o) noexcept
	{
		std::swap(path_, o.path_);
		std::swap(cache_, o.cache_);
		std::swap(mem_, o.mem_);
		return *this;
	}
	DeadCache(const DeadCache &) = delete;

	// The lines it was storing to when it died (Pending): each word it had changed lands or not,
	// at random (the kill came somewhere in the store). Returns the words landed. A process
	// that made a cached store before (a Pending line met another hook) makes cached stores:
	// its Pending lines become dirty instead (written back by write_back_dirty).
	size_t land_pending(std::mt19937_64 &rng);
	// Writes back its dirty lines (what its cache still held when it died). Returns the lines.
	size_t write_back_dirty(std::mt19937_64 &rng);
	size_t dirty_lines() const;

private:
	DeadCache(std::string path, FileMap cache, const std::string &pool_path);
	std::string path_;
	FileMap cache_;
	std::optional<Memory> mem_;
};

} // namespace daxpool::sim
