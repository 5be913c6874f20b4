// SPDX-License-Identifier: GPL-2.0-only
// Pool fsck: what it finds in damaged pools, what --repair does, and that it leaves alone what
// is consistent (interrupted loads are notes, not problems).
#include <catch2/catch.hpp>

#include <cstring>

#include "pool/catalog.hpp"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/fsck.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;
using Catch::Contains;
using test::run_cli;
using Env = std::map<std::string, std::string>;

namespace {

void poke(const std::string &path, uint64_t off, const std::string &bytes)
{
	test::Fd fd(::open(path.c_str(), O_RDWR));
	REQUIRE(::pwrite(fd.fd, bytes.data(), bytes.size(), static_cast<off_t>(off)) == static_cast<ssize_t>(bytes.size()));
}

bool has(const PoolFsckReport &r, Finding::Kind k, const std::string &needle)
{
	for (const auto &f : r.findings)
		if (f.kind == k && f.what.find(needle) != std::string::npos)
			return true;
	return false;
}

struct Fixture {
	test::TempDir d;
	std::string pool = d / "p", img = test::make_image(d, "a", 2 * 1024 * 1024 + 1);
	PoolRef ref{pool, {}};
	Fixture()
	{
		create_file_pool({pool, 32 * MiB, "t", false});
		auto p = Pool::open(ref, Access::ReadWrite);
		p->load({img, "one", {}, nullptr});
		p->load({img, "two", {}, nullptr});
	}
	Slot slot_of(const std::string &name)
	{
		auto p = Pool::open(ref, Access::ReadOnly);
		for (const auto &s : p->catalog().snapshot())
			if (s.holds_space() && s.name() == name)
				return s;
		FAIL("no slot for " << name);
		return {};
	}
};

} // namespace

TEST_CASE("fsck: a fresh pool with images is clean", "[pool][fsck]")
{
	Fixture f;
	PoolFsckReport r = fsck_pool(f.ref, false);
	CHECK(r.ok());
	CHECK(r.findings.empty());
	CHECK(r.sealed_checked == 2);
}

TEST_CASE("fsck: a bad superblock copy is found and rewritten by --repair", "[pool][fsck]")
{
	Fixture f;
	for (uint64_t off : {PRIMARY_SB_OFF, BACKUP_SB_OFF}) {
		poke(f.pool, off + 60, "garbage");
		std::string before = test::read_file(f.pool);
		test::Run r = run_cli({"fsck", "--pool", f.pool});
		CHECK(r.status == 4); // fsck(8): errors left uncorrected
		CHECK_THAT(r.out, Contains(off ? "backup superblock: bad checksum" : "primary superblock: bad checksum"));
		CHECK_THAT(r.out, Contains("--repair would: rewrite it from the other copy"));
		CHECK((test::read_file(f.pool) == before)); // no repair without --repair
		r = run_cli({"fsck", "--pool", f.pool, "--repair"});
		CHECK(r.status == 1); // fsck(8): errors corrected
		CHECK(r.err.empty());
		CHECK_THAT(r.out, Contains("fixed: rewrite it from the other copy"));
		std::string now = test::read_file(f.pool);
		CHECK(now.compare(0, 256, now, BACKUP_SB_OFF, 256) == 0);
		// A rewrite bumps the superblock's generation (create: 1; one repair per round).
		PoolSuper sb;
		std::memcpy(&sb, now.data(), sizeof sb);
		CHECK(sb.generation == (off ? 3u : 2u));
		CHECK(fsck_pool(f.ref, false).findings.empty());
	}
}

TEST_CASE("fsck: a damaged sealed image is found; --repair removes it and frees its space", "[pool][fsck]")
{
	Fixture f;
	Slot two = f.slot_of("two");
	poke(f.pool, two.entry.offset + two.entry.image_size - 5000, "\x01\x02\x03");
	PoolFsckReport r = fsck_pool(f.ref, false);
	CHECK_FALSE(r.ok());
	CHECK(has(r, Finding::Problem, "image 'two'"));
	CHECK(has(r, Finding::Problem, "digest mismatch"));
	CHECK_FALSE(has(r, Finding::Problem, "image 'one'"));
	r = fsck_pool(f.ref, true);
	CHECK(r.ok());
	CHECK(r.repaired);
	auto p = Pool::open(f.ref, Access::ReadOnly);
	PoolInfo info = p->info(true);
	REQUIRE(info.images.size() == 1);
	CHECK(info.images[0].name == "one");
	CHECK(info.space.free == 30 * MiB - info.images[0].length);
	CHECK(fsck_pool(f.ref, false).findings.empty());
}

TEST_CASE("fsck: damaged and torn catalog slots", "[pool][fsck]")
{
	Fixture f;
	Slot one = f.slot_of("one");
	auto p = Pool::open(f.ref, Access::ReadOnly);
	uint64_t off = p->catalog().slot_off(one.index);
	p.reset();
	// Only the copy not in force torn: a note (what an interrupted catalog write leaves).
	REQUIRE(one.winner >= 0);
	poke(f.pool, off + (one.winner == 0 ? 256 : 0) + 100, "torn!");
	PoolFsckReport r = fsck_pool(f.ref, false);
	CHECK(r.ok());
	CHECK(has(r, Finding::Note, "is torn"));
	// Both copies bad: a problem, and loads refuse to allocate until it is repaired.
	poke(f.pool, off + (one.winner == 0 ? 0 : 256) + 100, "torn!");
	r = fsck_pool(f.ref, false);
	CHECK_FALSE(r.ok());
	CHECK(has(r, Finding::Problem, "no valid copy"));
	std::string before = test::pool_bytes(f.pool);
	test::Run run = run_cli({"load", f.img, "--pool", f.pool, "--name", "three"});
	CHECK(run.status == 1);
	CHECK_THAT(run.err, Contains("is damaged") && Contains("--repair"));
	CHECK((test::pool_bytes(f.pool) == before));
	run = run_cli({"fsck", "--pool", f.pool, "--repair"});
	CHECK(run.status == 1); // every problem corrected
	CHECK_THAT(run.out, Contains("fixed: clear the slot"));
	CHECK(run_cli({"load", f.img, "--pool", f.pool, "--name", "three"}).ok());
	CHECK(fsck_pool(f.ref, false).ok());
}

TEST_CASE("fsck: overlapping extents, duplicate names, bad fields", "[pool][fsck]")
{
	Fixture f;
	Slot one = f.slot_of("one");
	{
		auto p = Pool::open(f.ref, Access::ReadWrite);
		auto slots = p->catalog().snapshot();
		uint64_t gen = max_generation(slots);
		CatalogEntry e = one.entry;
		e.id = 50;
		e.generation = ++gen;
		std::strcpy(e.name, "intruder");
		p->catalog().write(slots[100], e); // same extent as 'one'
		CatalogEntry dup = one.entry;
		dup.id = 51;
		dup.generation = ++gen;
		dup.offset = 20 * MiB;
		p->catalog().write(slots[101], dup); // name 'one' again (its image there is garbage too)
		CatalogEntry bad = one.entry;
		bad.id = 52;
		bad.generation = ++gen;
		bad.offset = 64 * MiB; // outside the pool
		std::strcpy(bad.name, "outside");
		p->catalog().write(slots[102], bad);
	}
	PoolFsckReport r = fsck_pool(f.ref, false);
	CHECK_FALSE(r.ok());
	CHECK(has(r, Finding::Problem, "overlapping extents"));
	CHECK(has(r, Finding::Problem, "have the same name"));
	CHECK(has(r, Finding::Problem, "extent outside the data area"));
	r = fsck_pool(f.ref, true);
	CHECK(r.ok());
	auto p = Pool::open(f.ref, Access::ReadOnly);
	PoolInfo info = p->info(true);
	REQUIRE(info.images.size() == 2);
	CHECK(info.images[0].name == "one");
	CHECK(info.images[0].id == one.entry.id); // the older one is kept
	CHECK(info.images[1].name == "two");
	CHECK(fsck_pool(f.ref, false).findings.empty());
}

TEST_CASE("fsck: an interrupted load of another host is a note; its space is held until that host shows it ended",
	  "[pool][fsck]")
{
	Fixture f;
	const Env foreign{{"DAXPOOL_MACHINE_ID", "00112233445566778899aabbccddeeff"}, {"DAXPOOL_LEASE_MS", "300"},
			  {"DAXPOOL_MARGIN_MS", "100"}, {"DAXPOOL_HEARTBEAT_MS", "100"}};
	Env crash = foreign;
	crash["DAXPOOL_FAULT"] = "load.verified:1";
	test::Run r = run_cli({"load", f.img, "--pool", f.pool, "--name", "foreign"}, crash);
	REQUIRE(r.signal == SIGKILL);
	PoolFsckReport rep = fsck_pool(f.ref, false);
	CHECK(rep.ok());
	// Its host never said the writer stopped (no agent cleared its ticket): it may be paused.
	CHECK(has(rep, Finding::Note, "being loaded by pid"));
	CHECK(has(rep, Finding::Note, "quarantined"));
	auto p = Pool::open(f.ref, Access::ReadWrite);
	uint64_t free_before = p->info(false).space.free;
	ImageInfo mine = p->load({f.img, "mine", {}, nullptr});
	PoolInfo info = p->info(true);
	CHECK(info.space.free == free_before - mine.length); // the foreign extent was not reused
	// Its host comes back in the same boot (an agent beat): it clears the dead writer's ticket,
	// and the next writer frees the extent.
	REQUIRE(run_cli({"agent", "--pool", f.pool, "--once"}, foreign).ok());
	rep = fsck_pool(f.ref, false);
	CHECK(has(rep, Finding::Note, "interrupted load"));
	CHECK(has(rep, Finding::Note, "no longer holds the writer role"));
	ImageInfo mine2 = p->load({f.img, "mine2", {}, nullptr});
	info = p->info(true);
	for (const auto &i : info.images)
		CHECK(i.name != "foreign");
	p->unload("mine2");
	CHECK(mine.length > 0);
	// An interrupted load of an earlier boot of this host is reclaimed.
	r = run_cli({"load", f.img, "--pool", f.pool, "--name", "oldboot"},
		    {{"DAXPOOL_BOOT_ID", "ffeeddccbbaa99887766554433221100"}, {"DAXPOOL_FAULT", "load.copy:1"}});
	REQUIRE(r.signal == SIGKILL);
	rep = fsck_pool(f.ref, false);
	CHECK(rep.ok());
	CHECK(has(rep, Finding::Note, "earlier boot"));
	r = run_cli({"fsck", "--pool", f.pool, "--repair"});
	CHECK(r.ok());
	CHECK_THAT(r.out, Contains("fixed: free its space"));
	CHECK(p->info(true).images.size() == 3); // one, two, mine
}

TEST_CASE("fsck: read-only fsck does not call an image damaged that a writer replaced meanwhile", "[pool][fsck]")
{
	Fixture f;
	std::string other = test::make_image(f.d, "b", 2 * 1024 * 1024 + 1, 2); // same size, other bytes
	bool done = false;
	// Between fsck's catalog snapshot and its check of 'one' (the lowest extent, checked first),
	// a writer unloads 'one' and loads another image into the same extent.
	set_fault_hook([&](const char *point) {
		if (done || std::string(point) != "fsck.image")
			return;
		done = true;
		auto w = Pool::open(f.ref, Access::ReadWrite);
		uint64_t off = f.slot_of("one").entry.offset;
		w->unload("one");
		CHECK(w->load({other, "other", {}, nullptr}).offset == off);
	});
	PoolFsckReport r = fsck_pool(f.ref, false);
	set_fault_hook({});
	REQUIRE(done);
	CHECK(r.ok());
	CHECK(has(r, Finding::Note, "image 'one'"));
	CHECK(has(r, Finding::Note, "changed during the check"));
	CHECK(fsck_pool(f.ref, false).findings.empty());

	// A real problem is still reported when the slot is unchanged.
	Slot two = f.slot_of("two");
	poke(f.pool, two.entry.offset + two.entry.image_size - 5000, "\x01\x02\x03");
	r = fsck_pool(f.ref, false);
	CHECK_FALSE(r.ok());
	CHECK(has(r, Finding::Problem, "image 'two'"));
}

TEST_CASE("fsck: clearing a damaged slot never lowers an id or a generation", "[pool][fsck]")
{
	Fixture f;
	Slot two = f.slot_of("two"); // holds the pool's highest id and generation
	uint64_t off = Pool::open(f.ref, Access::ReadOnly)->catalog().slot_off(two.index);
	SECTION("headers still readable (what torn writes leave): the new versions are above them")
	{
		poke(f.pool, off + 100, "torn!");
		poke(f.pool, off + 256 + 100, "torn!");
	}
	SECTION("both copies unreadable: above every other entry")
	{
		poke(f.pool, off, std::string(512, '\xA5'));
	}
	REQUIRE(fsck_pool(f.ref, true).ok());
	Slot cleared = Pool::open(f.ref, Access::ReadOnly)->catalog().snapshot()[two.index];
	CHECK(cleared.state() == State::Free);
	CHECK(cleared.entry.id >= two.entry.id);
	auto p = Pool::open(f.ref, Access::ReadWrite);
	ImageInfo three = p->load({f.img, "three", {}, nullptr});
	CHECK(three.id > two.entry.id); // ids are never reused
	CHECK(three.id > f.slot_of("one").entry.id);
	CHECK(three.generation > cleared.entry.generation);
	CHECK(fsck_pool(f.ref, false).findings.empty());
}

TEST_CASE("fsck: a clear of a slot with a readable header goes above its generation", "[pool][fsck]")
{
	Fixture f;
	Slot two = f.slot_of("two");
	uint64_t off = Pool::open(f.ref, Access::ReadOnly)->catalog().slot_off(two.index);
	poke(f.pool, off + 100, "torn!");
	poke(f.pool, off + 256 + 100, "torn!");
	REQUIRE(fsck_pool(f.ref, true).ok());
	auto p = Pool::open(f.ref, Access::ReadOnly);
	Slot cleared = p->catalog().snapshot()[two.index];
	CHECK(cleared.entry.generation > two.entry.generation);
	CHECK(cleared.entry.id > two.entry.id);
}

TEST_CASE("fsck: a damaged writer epoch stops every writer until --repair rewrites it", "[pool][fsck]")
{
	Fixture f;
	poke(f.pool, EPOCH_OFF + 8, std::string(8, '\x5a')); // the epoch, its CRC no longer matches
	test::Run r = run_cli({"load", f.img, "--pool", f.pool, "--name", "three"});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("writer epoch line") && Contains("--repair"));
	PoolFsckReport rep = fsck_pool(f.ref, false);
	CHECK_FALSE(rep.ok());
	CHECK(has(rep, Finding::Problem, "writer epoch line"));
	rep = fsck_pool(f.ref, true);
	CHECK(rep.repaired);
	CHECK(fsck_pool(f.ref, false).ok());
	CHECK(run_cli({"load", f.img, "--pool", f.pool, "--name", "three"}).ok());
}
