// SPDX-License-Identifier: GPL-2.0-only
// Crash safety and concurrency: the daxpool binary killed (SIGKILL, like kill -9) at every
// named point of load and unload (DAXPOOL_FAULT=any:N) and at random moments; after each kill
// fsck finds the pool consistent, no half image is visible, and the space is reclaimed by the
// next writer. Then several processes loading into one pool at once.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <set>

#include "pool/create.hpp"
#include "pool/fsck.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;
using Catch::Contains;

namespace {

struct Bench {
	test::TempDir d;
	std::string pool = d / "p";
	std::string img = test::make_image(d, "img", 2 * 1024 * 1024 + 100); // a 6 MiB extent
	PoolRef ref{pool, {}};
	uint64_t extent = 0;
	unsigned trials = 0;

	Bench()
	{
		create_file_pool({pool, 20 * MiB, "crash", false}); // 18 MiB: three 6 MiB extents
		extent = Pool::open(ref, Access::ReadWrite)->load({img, "base", {}, nullptr}).length;
		REQUIRE(extent == 6 * MiB);
	}

	// After a kill: consistent, nothing half-written visible, every visible image whole.
	void check_after_kill(const std::string &name)
	{
		trials++;
		PoolFsckReport r = fsck_pool(ref, false);
		for (const auto &f : r.findings)
			if (f.kind == Finding::Problem)
				FAIL_CHECK("fsck problem after a kill: " << f.what);
		auto p = Pool::open(ref, Access::ReadOnly);
		PoolInfo visible = p->info(false);
		for (const auto &i : visible.images) {
			CHECK(i.state == State::Sealed);
			CHECK((i.name == "base" || i.name == name));
		}
		CHECK(r.sealed_checked == visible.images.size()); // and fsck validated each of them
	}

	// The next writer reclaims whatever the dead one left; then only "base" remains.
	void restore(const std::string &name)
	{
		auto p = Pool::open(ref, Access::ReadWrite);
		for (const auto &i : p->info(false).images)
			if (i.name == name)
				p->unload(name);
		p->load({img, "probe", {}, nullptr}); // needs the reclaimed space when a leftover holds it
		p->unload("probe");
		PoolInfo info = p->info(true);
		REQUIRE(info.images.size() == 1);
		CHECK(info.images[0].name == "base");
		CHECK(info.space.free == 12 * MiB);
		CHECK(fsck_pool(ref, false).ok());
	}

	// Leftovers for the reclaim paths: what a load killed mid-copy and an unload killed after
	// retiring leave (made directly: any writer would reclaim the first before making the second).
	void make_leftovers()
	{
		auto p = Pool::open(ref, Access::ReadWrite);
		p->load({img, "stale", {}, nullptr});
		p->load({img, "ret", {}, nullptr});
		auto slots = p->catalog().snapshot();
		uint64_t gen = max_generation(slots);
		for (auto &s : slots)
			if (s.holds_space() && (s.name() == "stale" || s.name() == "ret")) {
				CatalogEntry e = s.entry;
				e.state = static_cast<uint32_t>(s.name() == "stale" ? State::Writing : State::Retired);
				e.generation = ++gen;
				p->catalog().write(s, e);
			}
		PoolInfo info = p->info(true);
		REQUIRE(info.images.size() == 3);
		REQUIRE(info.space.free == 0);
	}
};

// Runs `args` with DAXPOOL_FAULT=any:1, any:2, ... until a run completes; after each kill
// checks and restores. Returns how many kills there were.
template <typename Before> unsigned every_point(Bench &b, const std::vector<std::string> &args,
						 const std::string &name, Before before)
{
	for (unsigned n = 1;; n++) {
		before();
		test::Run r = test::run_cli(args, {{"DAXPOOL_FAULT", "any:" + std::to_string(n)}});
		if (r.signal == 0) {
			INFO("stderr: " << r.err);
			REQUIRE(r.ok());
			b.restore(name);
			return n - 1;
		}
		REQUIRE(r.signal == SIGKILL);
		b.check_after_kill(name);
		b.restore(name);
	}
}

} // namespace

TEST_CASE("crash: kill -9 at every point of load and unload, and at random moments", "[pool][crash]")
{
	Bench b;
	std::vector<std::string> load = {"load", b.img, "--pool", b.pool, "--name", "t"};
	std::vector<std::string> unload = {"unload", "t", "--pool", b.pool};
	unsigned kills = 0;

	SECTION("load into a clean pool") {
		kills = every_point(b, load, "t", [] {});
		CHECK(kills >= 6); // two catalog writes (two halves each), copy, verify, seal
	}
	SECTION("load that must reclaim an interrupted load and a retired image") {
		kills = every_point(b, load, "t", [&] { b.make_leftovers(); });
		CHECK(kills >= 10);
	}
	SECTION("unload") {
		auto load_t = [&] { Pool::open(b.ref, Access::ReadWrite)->load({b.img, "t", {}, nullptr}); };
		kills = every_point(b, unload, "t", load_t);
		CHECK(kills >= 4);
	}
	SECTION("random moments (deterministic seed)") {
		std::mt19937 rng(12345);
		// Delays from process start to most of the way through a command as long as the fastest
		// of three measured here, per command (the copy's speed differs between machines).
		auto fastest = [&](const std::vector<std::string> &cmd, bool do_unload) {
			long span = 0;
			for (int k = 0; k < 3; k++) {
				if (do_unload)
					Pool::open(b.ref, Access::ReadWrite)->load({b.img, "t", {}, nullptr});
				auto t0 = std::chrono::steady_clock::now();
				test::Run timed = test::run_cli(cmd, {}, 0);
				REQUIRE(timed.ok());
				long us = long(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
				span = k ? std::min(span, us) : us;
				b.restore("t");
			}
			return std::max(span * 9 / 10, 1000L);
		};
		const long load_us = fastest(load, false), unload_us = fastest(unload, true);
		for (int i = 0; i < 100; i++) {
			bool do_unload = i % 3 == 2;
			if (do_unload)
				Pool::open(b.ref, Access::ReadWrite)->load({b.img, "t", {}, nullptr});
			long delay = 500 + static_cast<long>(rng() % (do_unload ? unload_us : load_us));
			test::Run r = test::run_cli(do_unload ? unload : load, {}, delay);
			if (r.signal == SIGKILL) {
				kills++;
				b.check_after_kill("t");
			} else {
				INFO("stderr: " << r.err);
				CHECK(r.ok());
			}
			b.restore("t");
		}
		CHECK(kills > 60); // the delays do reach inside the commands
	}
	INFO("kills: " << kills);
	CHECK(b.trials == kills);
}

TEST_CASE("concurrency: several processes load at once; readers never block", "[pool][crash]")
{
	test::TempDir d;
	std::string pool = d / "p";
	std::string img = test::make_image(d, "img", 2 * 1024 * 1024 + 100);
	create_file_pool({pool, 26 * MiB, "busy", false}); // room for exactly four 6 MiB extents
	std::vector<test::Child> kids;
	for (int i = 0; i < 6; i++)
		kids.push_back(test::spawn_cli({"load", img, "--pool", pool, "--name", "c" + std::to_string(i)}));
	// Meanwhile: read the pool over and over; every view is consistent.
	auto reader = Pool::open({pool, {}}, Access::ReadOnly);
	for (int i = 0; i < 200; i++) {
		PoolInfo info = reader->info(true);
		std::vector<Extent> seen;
		for (const auto &im : info.images) {
			for (const auto &e : seen)
				CHECK((im.offset >= e.end() || im.offset + im.length <= e.offset));
			seen.push_back({im.offset, im.length});
		}
		CHECK(info.space.free + 6 * MiB * info.images.size() == 24 * MiB);
	}
	unsigned ok = 0, full = 0;
	for (const auto &k : kids) {
		test::Run r = test::wait_cli(k);
		if (r.ok())
			ok++;
		else if (r.status == 1 && r.err.find("is full") != std::string::npos)
			full++;
		else
			FAIL_CHECK("unexpected result: status " << r.status << ", signal " << r.signal << ": " << r.err);
	}
	CHECK(ok == 4);
	CHECK(full == 2);
	PoolInfo info = reader->info(true);
	REQUIRE(info.images.size() == 4);
	std::set<uint64_t> offsets;
	for (const auto &im : info.images) {
		CHECK(im.state == State::Sealed);
		offsets.insert(im.offset);
	}
	CHECK(offsets.size() == 4);
	CHECK(info.space.free == 0);
	PoolFsckReport r = fsck_pool({pool, {}}, false);
	CHECK(r.ok());
	CHECK(r.findings.empty());
	CHECK(r.sealed_checked == 4);
}
