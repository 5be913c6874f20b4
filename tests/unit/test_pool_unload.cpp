// SPDX-License-Identifier: GPL-2.0-only
// Mount records against unload and destroy (docs/multihost.md): refusal while any host lists the
// image, --force once its heartbeat stood still, the Dekker race both ways, unreadable records.
#include "tests/unit/hosts_fixture.hpp"

using namespace daxpool::pool;
using namespace hosts_test;
using Catch::Contains;
using test::run_cli;

TEST_CASE("unload: refused while a host lists the image; --force reclaims only once its heartbeat stood still",
	  "[pool][hosts]")
{
	Fixture f;
	REQUIRE(run_cli({"load", f.img, "--pool", f.pool, "--name", "web"}).ok());
	Env b = host('b', '1', 400, 200);
	REQUIRE(model({"mount", f.pool, "web", "/srv/containers/web"}, b).ok());
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "400", "--margin", "200"}, b);
	test::Run r = run_cli({"unload", "web", "--pool", f.pool});
	CHECK(r.status == 1);
	// Never called down: the message says what --force would do, and when.
	CHECK_THAT(r.err, Contains("is mounted on host 'hostb'") && Contains("/srv/containers/web") &&
				  Contains("unmount it there first") && Contains("If that host is down for good") &&
				  Contains("--force") && Contains("0.6 s"));
	r = run_cli({"unload", "web", "--pool", f.pool, "--force"});
	CHECK(r.status == 1); // --force does not override a beating host
	CHECK_THAT(r.err, Contains("is mounted on host 'hostb'") && Contains("advanced while this host watched"));
	::kill(agent.pid, SIGKILL); // hostb dies (no LEFT)
	test::wait_cli(agent);
	r = run_cli({"unload", "web", "--pool", f.pool});
	CHECK(r.status == 1); // without --force: never reclaimed
	CHECK_THAT(r.err, Contains("is mounted on host 'hostb'"));
	auto t0 = std::chrono::steady_clock::now();
	r = run_cli({"unload", "web", "--pool", f.pool, "--force"});
	auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
	CHECK(r.ok());
	CHECK(waited >= 600); // watched hostb stand still for its lease + margin
	CHECK_THAT(r.err, Contains("reclaimed 'web' from host 'hostb'") && Contains("stood still for") &&
				  Contains("by its own clock"));
	CHECK_THAT(r.out, Contains("unloaded 'web'"));
	CHECK(fsck_pool(f.ref, false).ok());

	// An unmount clears the record: no refusal.
	REQUIRE(run_cli({"load", f.img, "--pool", f.pool, "--name", "api"}).ok());
	test::Run m = model({"mount", f.pool, "api", "/mnt/api"}, host('c'));
	REQUIRE(m.ok());
	std::string id = m.out.substr(m.out.find(' ') + 1);
	id.erase(id.find_last_not_of('\n') + 1);
	CHECK(run_cli({"unload", "api", "--pool", f.pool}).status == 1);
	REQUIRE(model({"forget", f.pool, id, "/mnt/api"}, host('c')).ok());
	CHECK(run_cli({"unload", "api", "--pool", f.pool}).ok());
}

TEST_CASE("mount vs unload: whichever comes second sees the other (Dekker)", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	p->load({f.img, "one", {}, nullptr});
	p->load({f.img, "two", {}, nullptr});
	ImageInfo one;
	for (const auto &i : p->info(false).images)
		if (i.name == "one")
			one = i;

	SECTION("an unload that starts while the mount is pending refuses")
	{
		test::Run unload;
		set_fault_hook([&](const char *point) {
			if (std::strcmp(point, "mount.pending") == 0)
				unload = run_cli({"unload", "one", "--pool", f.pool}, host('c'));
		});
		record_mount(*p, one, "/mnt/one");
		set_fault_hook(nullptr);
		CHECK(unload.status == 1);
		CHECK_THAT(unload.err, Contains("is mounted on host"));
		CHECK_THAT(run_cli({"status", "--pool", f.pool}).out, Contains("mounted 'one'"));
		forget_mount(*p, one.id, "/mnt/one");
		CHECK(run_cli({"unload", "one", "--pool", f.pool}, host('c')).ok());
	}
	SECTION("a mount that comes after the unload retired the image backs off")
	{
		test::Run mount;
		set_fault_hook([&](const char *point) {
			if (std::strcmp(point, "unload.retired") == 0) // the mounter saw it SEALED just before
				mount = model({"mount-as-seen", f.pool, std::to_string(one.slot), std::to_string(one.id),
					       std::to_string(one.generation), "one", "/mnt/one"},
					      host('d'));
		});
		p->unload("one");
		set_fault_hook(nullptr);
		CHECK(mount.status == 1);
		CHECK_THAT(mount.err, Contains("is being unloaded") && Contains("it was not mounted"));
		CHECK(mount_holders(*p, one.id).empty()); // the record was withdrawn
		for (const auto &i : p->info(true).images)
			CHECK(i.name != "one"); // and the image freed
	}
	SECTION("a mount that completes after unload's first check keeps the image: it stays RETIRED")
	{
		test::Run mount;
		set_fault_hook([&](const char *point) {
			if (std::strcmp(point, "unload.checked") == 0) // no host listed it at the first check
				mount = model({"mount", f.pool, "one", "/mnt/one"}, host('d'));
		});
		p->unload("one");
		set_fault_hook(nullptr);
		REQUIRE(mount.ok());
		auto holders = mount_holders(*p, one.id);
		REQUIRE(holders.size() == 1);
		CHECK(holders.front().host.hostname == "hostd");
		bool retired = false;
		for (const auto &i : p->info(true).images)
			if (i.name == "one")
				retired = i.state == State::Retired && i.offset == one.offset;
		CHECK(retired); // not freed: the next load cannot take the mounted extent
		p->load({f.img, "three", {}, nullptr});
		for (const auto &i : p->info(false).images)
			CHECK(i.offset != one.offset);
		// Once hostd unmounts, the next writer frees it.
		std::string id = mount.out.substr(mount.out.find(' ') + 1);
		id.erase(id.find_last_not_of('\n') + 1);
		REQUIRE(model({"forget", f.pool, id, "/mnt/one"}, host('d')).ok());
		p->load({f.img, "four", {}, nullptr});
		for (const auto &i : p->info(true).images)
			CHECK(i.name != "one");
	}
	CHECK(fsck_pool(f.ref, false).ok());
}

TEST_CASE("destroy: refused like unload for every image; a mount recorded meanwhile keeps the pool", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	p->load({f.img, "web", {}, nullptr});
	auto destroy = [&](bool force) {
		std::vector<std::string> reclaimed;
		p->destroy(force, "pool hosts", "daxpool destroy --pool hosts --force", nullptr, &reclaimed);
		return reclaimed;
	};
	CHECK_THROWS_WITH(destroy(false), Contains("holds 1 image(s)") && Contains("--force"));
	Env b = host('b', '1', 400, 200);
	REQUIRE(model({"mount", f.pool, "web", "/mnt/web"}, b).ok());
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "400", "--margin", "200"}, b);
	for (bool force : {false, true}) // a beating host's mount: never, --force included
		CHECK_THROWS_WITH(destroy(force), Contains("image 'web' (sealed) is mounted on host 'hostb'") &&
							  Contains("/mnt/web") && Contains("never unmounts"));
	::kill(agent.pid, SIGKILL);
	test::wait_cli(agent);
	CHECK_THROWS_WITH(destroy(false), Contains("is mounted on host 'hostb'") && Contains("down for good") &&
						  Contains("daxpool destroy --pool hosts --force"));
	CHECK(Pool::open(f.ref, Access::ReadOnly)->info(false).images.size() == 1); // nothing changed

	SECTION("a mount that completes after destroy's check wins: the pool stays")
	{
		p->load({f.img, "api", {}, nullptr});
		test::Run mount;
		set_fault_hook([&](const char *point) {
			if (std::strcmp(point, "destroy.checked") == 0)
				mount = model({"mount", f.pool, "api", "/mnt/api"}, host('c'));
		});
		CHECK_THROWS_WITH(destroy(true), Contains("host 'hostc'") && Contains("mounted image 'api' meanwhile"));
		set_fault_hook(nullptr);
		REQUIRE(mount.ok());
		auto again = Pool::open(f.ref, Access::ReadOnly); // still a pool; api held for hostc
		bool kept = false;
		for (const auto &i : again->info(true).images)
			kept = kept || (i.name == "api" && i.state == State::Retired);
		CHECK(kept);
	}
	SECTION("--force reclaims the expired host's mount and wipes the pool")
	{
		auto reclaimed = destroy(true);
		REQUIRE(reclaimed.size() == 1);
		CHECK_THAT(reclaimed.front(), Contains("reclaimed 'web' (sealed) from host 'hostb'") && Contains("stood still"));
		CHECK_THROWS_AS(Pool::open(f.ref, Access::ReadOnly), NotAPool);
	}
}

TEST_CASE("unload: an unreadable mount record may list any image: unload refuses, naming it", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	REQUIRE(run_cli({"load", f.img, "--pool", f.pool, "--name", "web"}).ok());
	Env b = host('b', '1', 400, 200);
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "400", "--margin", "200"}, b);
	tear(*p, slot_of(*p, "hostb"), HOST_LINE_MOUNTS + 3);
	test::Run r = run_cli({"unload", "web", "--pool", f.pool}, host('c'));
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("host 'hostb'") && Contains("mount record 3 is unreadable"));
	r = run_cli({"unload", "web", "--pool", f.pool, "--force"}, host('c'));
	CHECK(r.status == 1); // hostb beats: --force does not reclaim
	::kill(agent.pid, SIGKILL);
	test::wait_cli(agent);
	r = run_cli({"unload", "web", "--pool", f.pool, "--force"}, host('c'));
	INFO(r.err);
	CHECK(r.ok());
}

TEST_CASE("unload --force: a host it reclaims from that records a new mount meanwhile keeps the image", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	p->load({f.img, "one", {}, nullptr});
	Env e = host('e', '1', 400, 200);
	REQUIRE(model({"mount", f.pool, "one", "/mnt/a"}, e).ok()); // then hoste stands still
	test::Run again;
	set_fault_hook([&](const char *point) {
		// unload --force watched hoste stand still and will reclaim /mnt/a; hoste wakes up and
		// mounts the image once more before the image is retired.
		if (std::strcmp(point, "unload.checked") == 0)
			again = model({"mount", f.pool, "one", "/mnt/b"}, e);
	});
	std::vector<std::string> reclaimed;
	p->unload("one", nullptr, true, &reclaimed);
	set_fault_hook(nullptr);
	REQUIRE(again.ok());
	CHECK(reclaimed.size() == 1);
	bool retired = false;
	for (const auto &i : p->info(true).images)
		retired |= i.name == "one" && i.state == State::Retired;
	CHECK(retired); // the second check counts every host that has not left: /mnt/b keeps it

	// hoste stands still again: the retired image is refused without --force, naming the
	// mount; --force watches hoste stand still, reclaims /mnt/b and frees the image.
	CHECK_THROWS_WITH(p->unload("one"), Contains("retired image 'one' is mounted on host 'hoste'") &&
						    Contains("/mnt/b") && Contains("--force"));
	reclaimed.clear();
	p->unload("one", nullptr, true, &reclaimed);
	REQUIRE(reclaimed.size() == 2); // /mnt/a (still in hoste's records) and /mnt/b
	CHECK_THAT(reclaimed.back() + reclaimed.front(), Contains("/mnt/a") && Contains("/mnt/b"));
	for (const auto &i : p->info(true).images)
		CHECK(i.name != "one");
	CHECK(fsck_pool(f.ref, false).ok());
}
