// SPDX-License-Identifier: GPL-2.0-only
// On-media layout: superblock copies, catalog entry copies (A/B, torn writes), the shared-memory
// primitives, round trips through a file-backed pool.
#include <catch2/catch.hpp>

#include <cstring>

#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/catalog.hpp"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/fsck.hpp"
#include "pool/mounts.hpp"
#include "pool/pool.hpp"
#include "pool/shmem.hpp"
#include "pool/superblock.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;

namespace {

std::unique_ptr<Pool> new_pool(const test::TempDir &d, const std::string &file, uint64_t size = 16 * MiB)
{
	create_file_pool({d / file, size, "t", false});
	return Pool::open({d / file, {}}, Access::ReadWrite);
}

CatalogEntry sample_entry(uint64_t gen)
{
	CatalogEntry e{};
	e.state = static_cast<uint32_t>(State::Sealed);
	e.generation = gen;
	e.id = 7;
	e.offset = DATA_OFF;
	e.length = 2 * MiB;
	e.image_size = 8192;
	e.digest_type = DIGEST_XXH3_128;
	std::strcpy(e.name, "img");
	return e;
}

} // namespace

TEST_CASE("layout: geometry of v1 is what the document says", "[pool][layout]")
{
	CHECK(CATALOG_OFF == 320 * KiB);
	CHECK(CATALOG_OFF + uint64_t(CATALOG_SLOTS) * CATALOG_SLOT_SIZE == 1344 * KiB);
	CHECK(BACKUP_SB_OFF == 2044 * KiB);
	CHECK(DATA_OFF % EXTENT_ALIGN == 0);
	CHECK(HOST_SLOT_SIZE % LINE == 0);
	CHECK(HOST_TABLE_OFF % LINE == 0);
	CHECK(CATALOG_SLOT_SIZE % LINE == 0);
}

TEST_CASE("layout: superblock round trip and validation", "[pool][layout]")
{
	Uuid u = random_uuid();
	CHECK((u[6] >> 4) == 4);
	PoolSuper sb = make_super(u, "name", 64 * MiB, 1700000000);
	CHECK(check_super(sb, 64 * MiB).empty());
	CHECK(super_name(sb) == "name");
	CHECK(check_super(sb, 32 * MiB).find("exceeds") != std::string::npos);
	PoolSuper bad = sb;
	bad.pool_size += 1;
	CHECK(check_super(bad, 64 * MiB) == "bad checksum");
	set_super_crc(bad);
	CHECK(!check_super(bad, 128 * MiB).empty());
	bad = sb;
	bad.incompat = 1;
	set_super_crc(bad);
	CHECK(check_super(bad, 64 * MiB).find("incompatible") != std::string::npos);
	bad = sb;
	bad.catalog_off = BACKUP_SB_OFF - 4096; // catalog over the backup superblock
	set_super_crc(bad);
	CHECK(!check_super(bad, 64 * MiB).empty());
	// Offsets that wrap off + len around 2^64 into the header (CRC valid): refused.
	bad = sb;
	bad.host_table_off = 0 - uint64_t(HOST_TABLE_OFF); // + 256 KiB of host table = 0x30000
	set_super_crc(bad);
	CHECK(check_super(bad, 64 * MiB) == "host table or catalog outside the header or overlapping");
	bad = sb;
	bad.catalog_off = 0 - uint64_t(64 * KiB); // + 1 MiB of catalog = 0xF0000
	set_super_crc(bad);
	CHECK(check_super(bad, 64 * MiB) == "host table or catalog outside the header or overlapping");
	bad = sb;
	bad.host_slots = 0xffffffffu; // 8 TiB of host table
	set_super_crc(bad);
	CHECK(!check_super(bad, 64 * MiB).empty());
}

TEST_CASE("layout: a pool survives the loss of either superblock copy", "[pool][layout]")
{
	test::TempDir d;
	auto p = new_pool(d, "p");
	std::string uuid = p->uuid();
	p.reset();
	for (uint64_t off : {PRIMARY_SB_OFF, BACKUP_SB_OFF}) {
		{
			auto b = open_file_backend(d / "p", Access::ReadWrite);
			Shared sh(*b);
			sh.zero(off + 40, 8); // inside the UUID: checksum no longer matches
			sh.persist(off, 256);
		}
		auto q = Pool::open({d / "p", {}}, Access::ReadOnly);
		CHECK(q->uuid() == uuid);
		CHECK(q->info(false).superblock_problems.size() == 1);
		// restore for the next round
		auto b = open_file_backend(d / "p", Access::ReadWrite);
		Shared sh(*b);
		write_supers(sh, q->super());
	}
	{
		auto b = open_file_backend(d / "p", Access::ReadWrite);
		Shared sh(*b);
		sh.zero(PRIMARY_SB_OFF, 256);
		sh.zero(BACKUP_SB_OFF, 256);
		sh.persist(0, DATA_OFF);
	}
	CHECK_THROWS_AS(Pool::open({d / "p", {}}, Access::ReadOnly), NotAPool);
}

TEST_CASE("catalog: the valid copy with the higher generation is in force", "[pool][catalog]")
{
	uint8_t raw[CATALOG_SLOT_SIZE] = {};
	Slot s = decode_slot(3, raw);
	CHECK(s.winner == -1); // a formatted slot always has a valid copy: all zero is damage
	CHECK(s.damaged());
	CHECK(!s.holds_space());

	CatalogEntry a = sample_entry(5), b = sample_entry(6);
	for (CatalogEntry *e : {&a, &b}) {
		e->magic = ENTRY_MAGIC;
		e->crc = daxfs_crc32c(e, CRC_LEN);
	}
	std::memcpy(raw, &a, 256);
	std::memcpy(raw + 256, &b, 256);
	s = decode_slot(3, raw);
	CHECK(s.winner == 1);
	CHECK(s.entry.generation == 6);
	CHECK(s.name() == "img");

	// A torn copy 1 (half new, half old bytes): copy 0 stays in force, the slot is not damaged.
	std::memset(raw + 256 + 128, 0xAB, 128);
	s = decode_slot(3, raw);
	CHECK(s.winner == 0);
	CHECK(s.bad_copy[1]);
	CHECK(!s.damaged());
	CHECK(s.entry.generation == 5);

	// Both copies bad: damaged, and it holds no trusted space.
	std::memset(raw + 10, 0xCD, 4);
	s = decode_slot(3, raw);
	CHECK(s.damaged());
	CHECK(!s.holds_space());
}

TEST_CASE("catalog: writes alternate copies and round-trip through the pool", "[pool][catalog]")
{
	test::TempDir d;
	auto p = new_pool(d, "p");
	auto slots = p->catalog().snapshot();
	REQUIRE(slots.size() == CATALOG_SLOTS);
	CHECK(max_generation(slots) == 0);
	for (const auto &x : slots) {
		CHECK(x.winner == 0); // create: a FREE copy 0 in every slot
		CHECK(x.state() == State::Free);
	}
	Slot &s = slots[5];
	p->catalog().write(s, sample_entry(1));
	CHECK(s.winner == 1);
	p->catalog().write(s, sample_entry(2));
	CHECK(s.winner == 0);
	CatalogEntry e3 = sample_entry(3);
	std::strcpy(e3.name, "renamed");
	p->catalog().write(s, e3);
	CHECK(s.winner == 1);

	auto again = Pool::open({d / "p", {}}, Access::ReadOnly);
	auto r = again->catalog().snapshot();
	CHECK(r[5].winner == 1);
	CHECK(r[5].entry.generation == 3);
	CHECK(r[5].name() == "renamed");
	CHECK(std::memcmp(&r[5].entry, &s.entry, sizeof(CatalogEntry)) == 0);
	CHECK(max_generation(r) == 3);
	CHECK(max_id(r) == 7);
	for (uint32_t i = 0; i < CATALOG_SLOTS; i++)
		if (i != 5)
			CHECK(r[i].state() == State::Free);
	CHECK(check_entry_fields(r[5].entry, again->super()).empty());
}

TEST_CASE("catalog: entry field rules", "[pool][catalog]")
{
	PoolSuper sb = make_super(random_uuid(), "t", 16 * MiB, 0);
	CatalogEntry e = sample_entry(1);
	CHECK(check_entry_fields(e, sb).empty());
	auto broken = [&](auto f) {
		CatalogEntry x = e;
		f(x);
		return !check_entry_fields(x, sb).empty();
	};
	CHECK(broken([](CatalogEntry &x) { x.offset = DATA_OFF + 4096; }));
	CHECK(broken([](CatalogEntry &x) { x.offset = 0; }));
	CHECK(broken([](CatalogEntry &x) { x.offset = 16 * MiB; }));
	CHECK(broken([](CatalogEntry &x) { x.length = 3 * MiB; }));
	CHECK(broken([](CatalogEntry &x) { x.image_size = 3 * MiB; }));
	CHECK(broken([](CatalogEntry &x) { x.state = 9; }));
	CHECK(broken([](CatalogEntry &x) { std::strcpy(x.name, "a/b"); }));
	CHECK(broken([](CatalogEntry &x) { x.reserved[3] = 1; }));
	CHECK(broken([](CatalogEntry &x) { x.digest_type = 2; }));
}

TEST_CASE("shmem: every flush instruction the CPU has works on a pool mapping", "[pool][shmem]")
{
	using namespace shmem;
	FlushKind k = flush_kind();
	INFO("flush: " << flush_name(k));
#if defined(__x86_64__)
	CHECK(k != FlushKind::None); // every x86-64 CPU has clflush
#endif
	alignas(64) static uint8_t buf[4096];
	std::memset(buf, 0x5A, sizeof buf);
	flush_range(buf + 3, 1000);
	fence();
	invalidate_range(buf, sizeof buf);
	CHECK(buf[100] == 0x5A);
	CHECK(buf[4095] == 0x5A);
}

TEST_CASE("shmem: the flush and evict instructions follow each CPUID flag on its own", "[pool][shmem]")
{
	using namespace shmem;
	// A CPU with clwb but without clflushopt (CPUID reports them separately): flush with clwb,
	// but evict with clflush, never clflushopt.
	CpuFlush clwb_only{true, false, true};
	CHECK(choose_flush(clwb_only, nullptr) == FlushKind::Clwb);
	CHECK(choose_evict(clwb_only, nullptr) == FlushKind::Clflush);
	CHECK(choose_evict(clwb_only, "clflushopt") == FlushKind::Clflush);
	CpuFlush all{true, true, true};
	CHECK(choose_flush(all, nullptr) == FlushKind::Clwb);
	CHECK(choose_evict(all, nullptr) == FlushKind::Clflushopt);
	CHECK(choose_flush(all, "clflush") == FlushKind::Clflush);
	CHECK(choose_evict(all, "clflush") == FlushKind::Clflush);
	CHECK(choose_flush(all, "clflushopt") == FlushKind::Clflushopt);
	CpuFlush opt{true, true, false};
	CHECK(choose_flush(opt, nullptr) == FlushKind::Clflushopt);
	CHECK(choose_evict(opt, nullptr) == FlushKind::Clflushopt);
	CpuFlush old_cpu{true, false, false};
	CHECK(choose_flush(old_cpu, "clflushopt") == FlushKind::Clflush);
	CHECK(choose_evict(old_cpu, nullptr) == FlushKind::Clflush);
	CHECK(choose_evict({}, nullptr) == FlushKind::None);
}

TEST_CASE("shmem: reads see what persisted writes stored, from another mapping", "[pool][shmem]")
{
	test::TempDir d;
	create_file_pool({d / "p", 8 * MiB, "t", false});
	auto w = open_file_backend(d / "p", Access::ReadWrite);
	auto r = open_file_backend(d / "p", Access::ReadOnly);
	Shared ws(*w), rs(*r);
	std::vector<uint8_t> data(300);
	for (size_t i = 0; i < data.size(); i++)
		data[i] = static_cast<uint8_t>(i * 7);
	ws.write(DATA_OFF + 17, data);
	ws.persist(DATA_OFF + 17, data.size());
	std::vector<uint8_t> back(300);
	rs.read(DATA_OFF + 17, back);
	CHECK(back == data);
	CHECK_THROWS_AS(rs.read(8 * MiB - 10, back), Error);
}

TEST_CASE("load: a source file changed after validation is not sealed (size and UUID read back)", "[pool][load]")
{
	test::TempDir d;
	std::string img = test::make_image(d, "a", 1024 * 1024);
	// The same tree with another UUID: same size and digest (the digest does not cover the
	// superblock), so only the UUID tells the two apart.
	daxpool::daxfs::BuildOptions b;
	b.source = (d.path() / "tree-a").string();
	b.output = d / "a2.img";
	b.mtime = 1700000000;
	b.uuid = std::array<uint8_t, 16>{1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};
	daxpool::daxfs::build_image(b);
	std::string swapped = test::read_file(b.output);
	REQUIRE(swapped.size() == test::read_file(img).size());
	REQUIRE(swapped != test::read_file(img));

	create_file_pool({d / "p", 16 * MiB, "t", false});
	PoolRef ref{d / "p", {}};
	auto p = Pool::open(ref, Access::ReadWrite);
	set_fault_hook([&](const char *point) {
		if (std::string(point) == "load.writing") { // validated, entry written, not yet copied
			test::Fd fd(::open(img.c_str(), O_WRONLY));
			REQUIRE(::pwrite(fd.fd, swapped.data(), swapped.size(), 0) == static_cast<ssize_t>(swapped.size()));
		}
	});
	CHECK_THROWS_WITH(p->load({img, "x", {}, nullptr}), Catch::Contains("image UUID differs"));
	set_fault_hook({});
	CHECK(p->info(true).images.empty());
	CHECK(fsck_pool(ref, false).findings.empty());
}

TEST_CASE("util: hex, UUID and all-zero helpers (one copy for lib, pool and cli)", "[util]")
{
	using namespace daxpool::util;
	std::array<uint8_t, 16> u{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	CHECK(hex(u) == "0123456789abcdef0123456789abcdef");
	CHECK(format_uuid(u) == "01234567-89ab-cdef-0123-456789abcdef");
	CHECK(hex({}) == "");
	uint8_t z[5] = {};
	CHECK(all_zero(z, sizeof z));
	z[4] = 1;
	CHECK_FALSE(all_zero(z, sizeof z));
	CHECK(all_zero(z, 0));
}

namespace {

// A file backend that records every sync() (the backend durability calls).
class CountingBackend final : public Backend {
public:
	explicit CountingBackend(std::unique_ptr<Backend> b) : b_(std::move(b)) {}
	std::span<uint8_t> map() const override { return b_->map(); }
	void reserve(uint64_t off, uint64_t len) override { b_->reserve(off, len); }
	void sync(uint64_t off, uint64_t len) override
	{
		syncs.emplace_back(off, len);
		b_->sync(off, len);
	}
	std::string describe() const override { return b_->describe(); }
	std::string name() const override { return b_->name(); }
	std::string lock_path() const override { return b_->lock_path(); }
	std::vector<std::pair<uint64_t, uint64_t>> syncs;

private:
	std::unique_ptr<Backend> b_;
};

} // namespace

TEST_CASE("load: one backend sync of the whole extent, before the seal", "[pool][load]")
{
	test::TempDir d;
	std::string img = test::make_image(d, "big", 20 * 1024 * 1024); // more than one 16 MiB chunk
	create_file_pool({d / "p", 64 * MiB, "t", false});
	auto cb = std::make_unique<CountingBackend>(open_file_backend(d / "p", Access::ReadWrite));
	CountingBackend *counter = cb.get();
	Pool p(std::move(cb), Access::ReadWrite);
	ImageInfo i = p.load({img, "big", {}, nullptr});
	REQUIRE(i.image_size > 16 * MiB);
	std::vector<size_t> data_syncs;
	for (size_t k = 0; k < counter->syncs.size(); k++)
		if (counter->syncs[k].first >= DATA_OFF)
			data_syncs.push_back(k);
	REQUIRE(data_syncs.size() == 1);
	CHECK(counter->syncs[data_syncs[0]] == std::pair{i.offset, i.image_size});
	// The catalog writes after it are the seal's (two halves of one entry copy): the data is
	// durable before SEALED is written.
	CHECK(data_syncs[0] >= 2); // after the WRITING entry
	size_t catalog_after = 0;
	for (size_t k = data_syncs[0] + 1; k < counter->syncs.size(); k++)
		if (counter->syncs[k].first >= CATALOG_OFF && counter->syncs[k].first < DATA_OFF)
			catalog_after++;
	CHECK(catalog_after == 2);
	CHECK(counter->syncs.back().first < DATA_OFF); // (the rest: this host's slot, e.g. the ticket cleared)
}

TEST_CASE("mounts: daxfs mounts read from mountinfo (libmount): unescaped, with their options", "[pool][mounts]")
{
	test::TempDir d;
	std::string mi = d / "mountinfo";
	test::write_file(mi,
			 "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
			 "90 22 259:1 / /mnt/with\\040space ro,nosuid,nodev shared:40 - daxfs /dev/pmem0 ro,offset=2097152\n"
			 "91 22 0:50 / /mnt/b ro,nosuid,nodev - daxfs none ro,phys=0x1080000000,size=0x4000000\n"
			 "92 22 252:0 / /mnt/ext4 rw,relatime - ext4 /dev/vda rw\n");
	auto m = daxpool::pool::daxfs_mounts(mi);
	REQUIRE(m.size() == 2);
	CHECK(m[0].mountpoint == "/mnt/with space");
	CHECK(m[0].source == "/dev/pmem0");
	CHECK(m[0].offset == 2097152u);
	CHECK(m[0].phys == 0u);
	CHECK(m[1].mountpoint == "/mnt/b");
	CHECK(m[1].source == "none");
	CHECK(m[1].phys == 0x1080000000u);
	CHECK(m[1].phys_size == 0x4000000u);
	CHECK(m[1].offset == 0u);
}
