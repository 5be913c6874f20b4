// SPDX-License-Identifier: GPL-2.0-only
// Mount records of this host (record_mount, docs/multihost.md "Mounts"): a record that is there
// already for the same image and mount point (kept by umount for a bind mount or a container's
// copy of the mount) is reused as it is, and never removed by a mount that then backs off.
#include <catch2/catch.hpp>

#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;

namespace {

std::vector<std::string> recorded(Pool &p)
{
	std::vector<std::string> out;
	for (const auto &m : HostSession::claim(p)->mounts())
		out.push_back(m.mountpoint);
	return out;
}

} // namespace

TEST_CASE("records: a reused record survives a mount that backs off; a new one does not", "[pool][mounts]")
{
	test::TempDir d;
	std::string pool = d / "p", img = test::make_image(d, "a", 64 * 1024);
	create_file_pool({pool, 32 * MiB, "t", false});
	auto p = Pool::open({pool, {}}, Access::ReadWrite);
	LoadOptions o;
	o.image = img;
	o.name = "one";
	ImageInfo one = p->load(o);

	CHECK_FALSE(record_mount(*p, one, "/mnt/a")); // a new record
	CHECK(record_mount(*p, one, "/mnt/a"));       // the same image and mount point: reused
	CHECK(recorded(*p) == std::vector<std::string>{"/mnt/a"});

	// A mounter whose view of the image is out of date backs off ("has changed")...
	ImageInfo stale = one;
	stale.generation++;
	CHECK_THROWS_AS(record_mount(*p, stale, "/mnt/a"), Error);
	// ...without removing the record it found there (a live copy of the mount may rely on it),
	CHECK(recorded(*p) == std::vector<std::string>{"/mnt/a"});
	// while a record it wrote itself goes with it.
	CHECK_THROWS_AS(record_mount(*p, stale, "/mnt/b"), Error);
	CHECK(recorded(*p) == std::vector<std::string>{"/mnt/a"});
}
