// SPDX-License-Identifier: GPL-2.0-only
// The allocator: pure properties on random layouts, and through real loads and unloads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "pool/alloc.hpp"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;

namespace {

bool overlaps(const Extent &a, const Extent &b) { return a.offset < b.end() && b.offset < a.end(); }

} // namespace

TEST_CASE("alloc: free extents and stats of simple layouts", "[pool][alloc]")
{
	const uint64_t S = 2 * MiB, E = 2 * MiB + 20 * MiB;
	auto fr = free_extents(S, E, {});
	REQUIRE(fr.size() == 1);
	CHECK(fr[0] == Extent{S, 20 * MiB});
	std::vector<Extent> used = {{S + 4 * MiB, 2 * MiB}, {S, 2 * MiB}, {S + 10 * MiB, 4 * MiB}};
	fr = free_extents(S, E, used);
	REQUIRE(fr.size() == 3);
	CHECK(fr[0] == Extent{S + 2 * MiB, 2 * MiB});
	CHECK(fr[1] == Extent{S + 6 * MiB, 4 * MiB});
	CHECK(fr[2] == Extent{S + 14 * MiB, 6 * MiB});
	SpaceStats st = space_stats(S, E, used);
	CHECK(st.free == 12 * MiB);
	CHECK(st.largest_free == 6 * MiB);
	CHECK(st.free_extents == 3);
	CHECK(st.fragmentation == 50);
	CHECK(space_stats(S, E, {}).fragmentation == 0);
	CHECK(space_stats(S, E, {{S, 20 * MiB}}).free == 0);
	CHECK(space_stats(S, E, {{S, 20 * MiB}}).fragmentation == 0);
	// Best fit: the 4 MiB hole for 4 MiB, not the first 6 MiB one after it; the first 2 MiB hole for 2 MiB.
	CHECK(best_fit(S, E, used, 4 * MiB) == Extent{S + 6 * MiB, 4 * MiB});
	CHECK(best_fit(S, E, used, 2 * MiB) == Extent{S + 2 * MiB, 2 * MiB});
	CHECK(best_fit(S, E, used, 6 * MiB) == Extent{S + 14 * MiB, 6 * MiB});
	CHECK(!best_fit(S, E, used, 8 * MiB));
}

TEST_CASE("alloc: random allocate/free sequences never overlap and stay aligned", "[pool][alloc]")
{
	std::mt19937_64 rng(42);
	const uint64_t S = 2 * MiB, E = S + 256 * MiB;
	std::vector<Extent> used;
	unsigned refused = 0;
	for (int step = 0; step < 3000; step++) {
		if (!used.empty() && rng() % 3 == 0) {
			used.erase(used.begin() + static_cast<long>(rng() % used.size()));
			continue;
		}
		uint64_t len = (1 + rng() % 12) * 2 * MiB;
		SpaceStats before = space_stats(S, E, used);
		auto got = best_fit(S, E, used, len);
		if (!got) {
			CHECK(before.largest_free < len); // refused only when nothing fits
			refused++;
			continue;
		}
		CHECK(got->length == len);
		CHECK(got->offset % (2 * MiB) == 0);
		CHECK(got->offset >= S);
		CHECK(got->end() <= E);
		for (const auto &u : used)
			CHECK_FALSE(overlaps(*got, u));
		used.push_back(*got);
		SpaceStats after = space_stats(S, E, used);
		CHECK(after.free + len == before.free);
		CHECK(after.fragmentation <= 100);
	}
	CHECK(refused > 0); // the sequence did reach a full pool
}

TEST_CASE("alloc: loads get disjoint aligned extents, unload makes space reusable, full is clear",
	  "[pool][alloc]")
{
	test::TempDir d;
	std::string img = test::make_image(d, "a", 3 * MiB); // a 6 MiB extent
	std::string small = test::make_image(d, "s", 1000);  // a 2 MiB extent
	create_file_pool({d / "p", 22 * MiB, "t", false});   // 20 MiB of data
	auto p = Pool::open({d / "p", {}}, Access::ReadWrite);
	std::vector<ImageInfo> got;
	for (const char *n : {"i1", "i2", "i3"})
		got.push_back(p->load({img, n, {}, nullptr}));
	for (const auto &g : got) {
		CHECK(g.offset % (2 * MiB) == 0);
		CHECK(g.length == 6 * MiB);
		CHECK(g.state == State::Sealed);
	}
	for (size_t i = 0; i < got.size(); i++)
		for (size_t j = i + 1; j < got.size(); j++)
			CHECK_FALSE(overlaps({got[i].offset, got[i].length}, {got[j].offset, got[j].length}));
	CHECK(p->info(false).space.free == 2 * MiB);
	try {
		p->load({img, "i4", {}, nullptr});
		FAIL("a fourth image fitted in a full pool");
	} catch (const Error &e) {
		CHECK_THAT(e.what(), Catch::Contains("is full") && Catch::Contains("6.00 MiB") &&
					     Catch::Contains("largest 2.00 MiB"));
	}
	// The middle one goes; its extent is reused by the next load of the same size.
	p->unload("i2");
	PoolInfo info = p->info(false);
	CHECK(info.space.free == 8 * MiB);
	CHECK(info.space.free_extents == 2);
	CHECK(info.space.largest_free == 6 * MiB);
	CHECK(info.space.fragmentation == 25);
	ImageInfo again = p->load({img, "i4", {}, nullptr});
	CHECK(again.offset == got[1].offset);
	CHECK(again.id == 4); // ids are never reused
	// Best fit puts a small image in the 2 MiB tail, not into a bigger hole.
	p->unload("i1");
	ImageInfo s = p->load({small, "small", {}, nullptr});
	CHECK(s.offset == got[2].offset + 6 * MiB);
	CHECK(s.length == 2 * MiB);
}
