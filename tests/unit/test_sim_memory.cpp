// SPDX-License-Identifier: GPL-2.0-only
// The non-coherent memory simulator itself (tests/unit/sim_memory.hpp, docs/sim.md): it must
// be able to show what real CXL shared memory does to code that is not careful, or the model
// test that runs over it proves nothing.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "lib/format/daxfs_format.h"
#include "pool/shmem.hpp"
#include "tests/unit/pool_helpers.hpp"
#include "tests/unit/sim_memory.hpp"

using namespace daxpool;
using sim::LineState;
using sim::SimBackend;
using sim::SimOptions;

namespace {

constexpr uint64_t MEM = 1 << 20;

struct Fixture {
	test::TempDir dir;
	std::string mem = dir / "memory";
	Fixture() { test::write_file(mem, std::string(MEM, '\0')); }
	SimOptions opts(uint64_t seed, unsigned evict = 0) const
	{
		SimOptions o;
		o.state_dir = dir.path().string();
		o.seed = seed;
		o.evict_one_in = evict;
		return o;
	}
	std::string memory_bytes(uint64_t off, size_t n) const { return test::read_file(mem).substr(off, n); }
};

// A store the way a regression would make it: into the cache, without stored_nt.
void cached_store(SimBackend &b, uint64_t off, const std::string &bytes)
{
	b.prepare_write(off, bytes.size());
	std::memcpy(b.map().data() + off, bytes.data(), bytes.size());
}

// A store the way Shared makes it: non-temporal, reported with stored_nt.
void nt_store(SimBackend &b, uint64_t off, const std::string &bytes)
{
	b.prepare_write(off, bytes.size());
	std::memcpy(b.map().data() + off, bytes.data(), bytes.size());
	b.stored_nt(off, bytes.size());
}

std::string cached_bytes(const SimBackend &b, uint64_t off, size_t n)
{
	return {reinterpret_cast<const char *>(b.map().data() + off), n};
}

std::string fetched(const SimBackend &b, uint64_t off, size_t n)
{
	b.fetch(off, n);
	return cached_bytes(b, off, n);
}

// A host-table style line: 60 bytes of payload then their CRC-32C.
std::string sealed_line(uint64_t gen)
{
	std::string l(64, '\0');
	for (unsigned w = 0; w < 7; w++)
		std::memcpy(l.data() + w * 8, &gen, 8);
	std::memcpy(l.data() + 56, &gen, 4);
	uint32_t crc = daxfs_crc32c(l.data(), 60);
	std::memcpy(l.data() + 60, &crc, 4);
	return l;
}

bool line_ok(const std::string &l)
{
	uint32_t crc;
	std::memcpy(&crc, l.data() + 60, 4);
	return crc == daxfs_crc32c(l.data(), 60);
}

} // namespace

TEST_CASE("sim: a cached store stays invisible to other hosts until it is flushed", "[sim]")
{
	Fixture f;
	SimBackend a(f.mem, f.opts(1)), b(f.mem, f.opts(2));
	const std::string x(64, 'x');
	cached_store(a, 4096, x);
	a.fenced(); // a fence does not write back a cached line
	CHECK(a.state(4096 / 64) == LineState::Dirty);
	CHECK(fetched(b, 4096, 64) == std::string(64, '\0'));
	CHECK(f.memory_bytes(4096, 64) == std::string(64, '\0'));
	a.flushed(4096, 64);
	CHECK(a.state(4096 / 64) == LineState::Clean);
	CHECK(fetched(b, 4096, 64) == x);
}

TEST_CASE("sim: a cached store becomes visible when its line is evicted", "[sim]")
{
	Fixture f;
	SimBackend a(f.mem, f.opts(1, 1)), b(f.mem, f.opts(2)); // a: evicts at every hook
	cached_store(a, 8192, std::string(64, 'e'));
	a.fenced(); // the range becomes dirty, then a random dirty line (the only one) is evicted
	CHECK(a.state(8192 / 64) == LineState::Clean);
	CHECK(fetched(b, 8192, 64) == std::string(64, 'e'));
}

TEST_CASE("sim: a non-temporal store reaches memory and leaves the cache", "[sim]")
{
	Fixture f;
	SimBackend a(f.mem, f.opts(1)), b(f.mem, f.opts(2));
	nt_store(a, 100, "hello"); // unaligned: the edge words are merged, other bytes kept
	CHECK(a.state(1) == LineState::Uncached);
	CHECK(fetched(b, 96, 16) == std::string(4, '\0') + "hello" + std::string(7, '\0'));
	// Through the real pool code path.
	pool::Shared sh(a);
	sh.write_obj(4096 + 64, uint64_t(0x1122334455667788));
	CHECK(fetched(b, 4096 + 64, 8) == std::string("\x88\x77\x66\x55\x44\x33\x22\x11", 8));
}

TEST_CASE("sim: a reader that does not invalidate sees stale bytes", "[sim]")
{
	Fixture f;
	SimBackend a(f.mem, f.opts(1)), b(f.mem, f.opts(2));
	CHECK(fetched(b, 0, 64) == std::string(64, '\0')); // b caches the line
	nt_store(a, 0, std::string(64, 'n'));
	CHECK(f.memory_bytes(0, 64) == std::string(64, 'n'));
	CHECK(cached_bytes(b, 0, 64) == std::string(64, '\0')); // no fetch: b's stale line
	CHECK(fetched(b, 0, 64) == std::string(64, 'n'));
	// Through Shared: read_obj invalidates, so it sees the new bytes.
	nt_store(a, 0, std::string(64, 'm'));
	pool::Shared sh(b);
	CHECK(sh.read_obj<uint8_t>(0) == 'm');
}

TEST_CASE("sim: a line written concurrently can be observed torn", "[sim]")
{
	Fixture f;
	SimOptions wo = f.opts(1);
	wo.tear_one_in = 1;
	SimBackend w(f.mem, wo), r(f.mem, f.opts(2));
	std::atomic<bool> stop{false};
	std::thread writer([&] {
		for (uint64_t gen = 1; !stop; gen++)
			nt_store(w, 0, sealed_line(gen));
	});
	unsigned reads = 0, torn = 0, good = 0;
	const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
	while ((torn == 0 || good == 0) && std::chrono::steady_clock::now() < end) {
		std::string l = fetched(r, 0, 64);
		reads++;
		if (l == std::string(64, '\0'))
			continue;
		(line_ok(l) ? good : torn)++;
	}
	stop = true;
	writer.join();
	INFO(reads << " reads, " << good << " whole, " << torn << " torn");
	CHECK(good > 0);
	CHECK(torn > 0);
}

TEST_CASE("sim: a killed process's dirty lines land later, through the driver", "[sim]")
{
	Fixture f;
	int ready[2];
	REQUIRE(::pipe(ready) == 0);
	pid_t pid = ::fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		SimBackend d(f.mem, f.opts(3)), c(f.mem, f.opts(4)); // two caches of the process
		cached_store(d, 0, std::string(64, 'd')); // a cached store ...
		d.fenced();                                // ... that stays dirty
		nt_store(c, 64, std::string(64, 'n'));     // a finished non-temporal store
		c.prepare_write(128, 64);                  // killed in the middle of a store
		std::memcpy(c.map().data() + 128, std::string(64, 'p').data(), 64);
		(void)!::write(ready[1], "r", 1);
		for (;;)
			::pause();
	}
	char r;
	REQUIRE(::read(ready[0], &r, 1) == 1);
	::kill(pid, SIGKILL);
	::waitpid(pid, nullptr, 0);
	::close(ready[0]);
	::close(ready[1]);

	CHECK(f.memory_bytes(0, 64) == std::string(64, '\0')); // still in the dead cache
	CHECK(f.memory_bytes(64, 64) == std::string(64, 'n'));
	{
		auto dead = sim::DeadCache::open_all(f.dir.path().string(), pid, f.mem);
		REQUIRE(dead.size() == 2);
		if (dead[0].dirty_lines() == 0)
			std::swap(dead[0], dead[1]); // dead[0]: d's cache, dead[1]: c's
		CHECK(dead[0].dirty_lines() == 1);
		CHECK(dead[1].dirty_lines() == 0);
		std::mt19937_64 rng(5);
		CHECK(dead[0].land_pending(rng) == 0);
		size_t landed = dead[1].land_pending(rng);
		CHECK(landed <= 8);
		std::string p = f.memory_bytes(128, 64);
		for (unsigned w = 0; w < 8; w++) { // each word is whole: landed or not
			std::string word = p.substr(w * 8, 8);
			CHECK((word == std::string(8, 'p') || word == std::string(8, '\0')));
		}
		CHECK(f.memory_bytes(0, 64) == std::string(64, '\0'));
		CHECK(dead[0].write_back_dirty(rng) == 1);
		CHECK(f.memory_bytes(0, 64) == std::string(64, 'd'));
	}
	// The driver's handle removed the dead cache.
	CHECK(sim::DeadCache::open_all(f.dir.path().string(), pid, f.mem).empty());
}

TEST_CASE("sim: a clean exit writes dirty lines back and removes the cache file", "[sim]")
{
	Fixture f;
	std::string path;
	{
		SimBackend a(f.mem, f.opts(1));
		path = a.cache_path();
		cached_store(a, 256, std::string(64, 'c'));
		CHECK(std::filesystem::exists(path));
	}
	CHECK(f.memory_bytes(256, 64) == std::string(64, 'c'));
	CHECK_FALSE(std::filesystem::exists(path));
}


TEST_CASE("sim: a process that made cached stores keeps the store it died in in its cache", "[sim]")
{
	Fixture f;
	int ready[2];
	REQUIRE(::pipe(ready) == 0);
	pid_t pid = ::fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		SimBackend c(f.mem, f.opts(3));
		cached_store(c, 0, std::string(64, 'a')); // a cached store, found out ...
		c.flushed(0, 64);                         // ... here
		cached_store(c, 128, std::string(64, 'b')); // killed before its flush
		(void)!::write(ready[1], "r", 1);
		for (;;)
			::pause();
	}
	char r;
	REQUIRE(::read(ready[0], &r, 1) == 1);
	::kill(pid, SIGKILL);
	::waitpid(pid, nullptr, 0);
	::close(ready[0]);
	::close(ready[1]);
	auto dead = sim::DeadCache::open_all(f.dir.path().string(), pid, f.mem);
	REQUIRE(dead.size() == 1);
	std::mt19937_64 rng(5);
	CHECK(dead[0].land_pending(rng) == 0);
	CHECK(f.memory_bytes(128, 64) == std::string(64, '\0'));
	CHECK(dead[0].dirty_lines() == 1);
	CHECK(dead[0].write_back_dirty(rng) == 1);
	CHECK(f.memory_bytes(128, 64) == std::string(64, 'b'));
}
