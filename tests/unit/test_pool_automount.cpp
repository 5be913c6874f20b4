// SPDX-License-Identifier: GPL-2.0-only
// The automount table (pool/automount.hpp) and this host's settings over it (pool/config.hpp):
// load --automount and daxpool automount record and clear a path under the writer role; a
// torn write keeps the previous path; a record never applies to a later image of its slot; a
// damaged record is reported (list, fsck) and repaired; daxpool.conf(.d) decides per host.
// Mounting itself needs the kernel module: tests/qemu-cxl/guest/boot-mount.sh.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>

#include "lib/format/daxfs_format.h"
#include "pool/automount.hpp"
#include "pool/config.hpp"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fsck.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;
using Catch::Contains;
using test::run_cli;

namespace {

struct Fixture {
	test::TempDir d;
	std::string pool = d / "p", img = test::make_image(d, "a", 64 * 1024);
	PoolRef ref{pool, {}};
	Fixture() { create_file_pool({pool, 32 * MiB, "t", false}); }
	ImageInfo image(const std::string &name)
	{
		auto p = Pool::open(ref, Access::ReadOnly);
		for (const auto &i : p->info(true).images)
			if (i.name == name)
				return i;
		FAIL("no image " << name);
		return {};
	}
	ImageInfo load(const std::string &name, const std::string &automount = "")
	{
		LoadOptions o;
		o.image = img;
		o.name = name;
		o.automount = automount;
		return Pool::open(ref, Access::ReadWrite)->load(o);
	}
	uint64_t record_off(const std::string &name) { return AUTOMOUNT_OFF + uint64_t(image(name).slot) * AUTOMOUNT_SLOT_SIZE; }
	void poke(uint64_t off, const std::string &bytes)
	{
		test::Fd fd(::open(pool.c_str(), O_RDWR));
		REQUIRE(::pwrite(fd.fd, bytes.data(), bytes.size(), static_cast<off_t>(off)) ==
			static_cast<ssize_t>(bytes.size()));
	}
};

} // namespace

TEST_CASE("automount: load --automount records the path; daxpool automount changes and clears it", "[pool][automount]")
{
	Fixture f;
	auto r = run_cli({"load", f.img, "--pool", f.pool, "--name", "one", "--automount", "/srv/one", "-q"});
	REQUIRE(r.ok());
	CHECK(f.image("one").automount == "/srv/one");
	auto l = run_cli({"list", "--pool", f.pool, "--json"});
	CHECK_THAT(l.out, Contains("\"automount\": \"/srv/one\""));
	f.load("two");
	CHECK(f.image("two").automount.empty());
	CHECK_THAT(run_cli({"list", "--pool", f.pool, "--json"}).out, !Contains("/srv/two"));

	r = run_cli({"automount", "two", "/srv/models/two", "--pool", f.pool});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("mounted at /srv/models/two at boot"));
	CHECK(f.image("two").automount == "/srv/models/two");
	CHECK(f.image("one").automount == "/srv/one"); // its own slot only

	r = run_cli({"automount", "one", "--clear", "--pool", f.pool, "--json"});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, !Contains("automount"));
	CHECK(f.image("one").automount.empty());
	// Set again after a clear: the slot's generation keeps rising, the newest copy wins.
	REQUIRE(run_cli({"automount", "one", "/srv/again", "--pool", f.pool}).ok());
	REQUIRE(run_cli({"automount", "one", "/srv/again2", "--pool", f.pool}).ok());
	CHECK(f.image("one").automount == "/srv/again2");
}

TEST_CASE("automount: bad paths and unknown images are refused, changing nothing", "[pool][automount]")
{
	Fixture f;
	f.load("one", "/srv/one");
	std::string before = test::pool_bytes(f.pool);
	for (const auto &[path, why] : std::vector<std::pair<std::string, std::string>>{
		     {"srv/rel", "must be absolute"},
		     {"/", "nothing is mounted over /"},
		     {"/srv/../etc", "'..'"},
		     {"/srv/./x", "'.'"},
		     {"/srv//x", "no empty component"},
		     {"/srv/x/", "no empty component"},
		     {"/" + std::string(AUTOMOUNT_PATH_SIZE, 'a'), "at most 99 bytes"},
		     {"/srv/a\nb", "control characters"},
	     }) {
		INFO(path);
		auto r = run_cli({"automount", "one", path, "--pool", f.pool});
		CHECK(r.status == 1);
		CHECK_THAT(r.err, Contains(why));
		auto l = run_cli({"load", f.img, "--pool", f.pool, "--name", "x", "--automount", path});
		CHECK(l.status == 1);
		CHECK_THAT(l.err, Contains(why));
	}
	auto r = run_cli({"automount", "nosuch", "/srv/x", "--pool", f.pool});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("no image 'nosuch'"));
	r = run_cli({"automount", "one", "--pool", f.pool});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("or --clear"));
	CHECK(test::pool_bytes(f.pool) == before);
	CHECK(f.image("one").automount == "/srv/one");
}

TEST_CASE("automount: a write torn between its two lines leaves the previous path in force", "[pool][automount]")
{
	Fixture f;
	f.load("one", "/srv/first");
	auto r = run_cli({"automount", "one", "/srv/second", "--pool", f.pool}, {{"DAXPOOL_FAULT", "automount.torn:1"}});
	REQUIRE(r.signal == SIGKILL);
	ImageInfo i = f.image("one");
	CHECK(i.automount == "/srv/first");
	CHECK_FALSE(i.automount_unreadable);
	// fsck: the torn copy is a note, not a problem.
	auto fr = run_cli({"fsck", "--pool", f.pool});
	CHECK(fr.status == 0);
	CHECK_THAT(fr.out + fr.err, Contains("is torn"));
	// The next write replaces the torn copy.
	REQUIRE(run_cli({"automount", "one", "/srv/third", "--pool", f.pool}).ok());
	CHECK(f.image("one").automount == "/srv/third");
	CHECK(run_cli({"fsck", "--pool", f.pool}).status == 0);
}

TEST_CASE("automount: a record of an unloaded image never applies to the next image in its slot", "[pool][automount]")
{
	Fixture f;
	ImageInfo one = f.load("one", "/srv/one");
	REQUIRE(run_cli({"unload", "one", "--pool", f.pool, "-q"}).ok());
	ImageInfo two = f.load("two");
	REQUIRE(two.slot == one.slot); // the slot was reused...
	CHECK(two.id != one.id);
	CHECK(f.image("two").automount.empty()); // ...but not its old path
	CHECK(run_cli({"fsck", "--pool", f.pool}).status == 0);
}

TEST_CASE("automount: a damaged record is reported and repaired; the image stays", "[pool][automount]")
{
	Fixture f;
	f.load("one", "/srv/one");
	f.load("two", "/srv/two");
	uint64_t off = f.record_off("one");
	f.poke(off + 30, "XX");          // copy 0: CRC no longer matches
	f.poke(off + 128 + 30, "XX");    // copy 1 (zero so far): neither zero nor valid
	ImageInfo i = f.image("one");
	CHECK(i.automount.empty());
	CHECK(i.automount_unreadable);
	CHECK(f.image("two").automount == "/srv/two");
	CHECK_THAT(run_cli({"list", "--pool", f.pool, "--json"}).out, Contains("\"automount_unreadable\": true"));

	auto r = run_cli({"fsck", "--pool", f.pool});
	CHECK(r.status == 4);
	CHECK_THAT(r.out + r.err, Contains("automount record of catalog slot"));
	r = run_cli({"fsck", "--pool", f.pool, "--repair"});
	CHECK(r.status == 1);
	i = f.image("one");
	CHECK_FALSE(i.automount_unreadable);
	CHECK(i.automount.empty());
	CHECK(run_cli({"fsck", "--pool", f.pool}).status == 0);
	REQUIRE(run_cli({"automount", "one", "/srv/one", "--pool", f.pool}).ok());
	CHECK(f.image("one").automount == "/srv/one");
}

TEST_CASE("automount: a copy with an implausible generation is not believed; a write always wins", "[pool][automount]")
{
	Fixture f;
	f.load("one", "/srv/one");
	uint64_t off = f.record_off("one");
	auto p = Pool::open(f.ref, Access::ReadOnly);
	AutomountSlot s = AutomountTable(p->shared(), p->super()).snapshot().at(f.image("one").slot);
	REQUIRE(s.winner >= 0);
	// Another writer pins a path with the largest generation in the copy not in force.
	AutomountRecord pin = s.rec;
	pin.generation = UINT64_MAX;
	std::memcpy(pin.path, "/srv/pinned\0", 12);
	pin.crc = daxfs_crc32c(&pin, AUTOMOUNT_CRC_LEN);
	f.poke(off + uint64_t(s.winner == 0 ? 1 : 0) * sizeof pin, std::string(reinterpret_cast<const char *>(&pin), sizeof pin));
	CHECK(f.image("one").automount == "/srv/one"); // not believed
	REQUIRE(run_cli({"automount", "one", "--clear", "--pool", f.pool}).ok());
	CHECK(f.image("one").automount.empty());
	REQUIRE(run_cli({"automount", "one", "/srv/two", "--pool", f.pool}).ok());
	CHECK(f.image("one").automount == "/srv/two");
}

TEST_CASE("automount: a valid record naming a bad path is not believed", "[pool][automount]")
{
	Fixture f;
	f.load("one", "/srv/one");
	auto p = Pool::open(f.ref, Access::ReadOnly);
	AutomountSlot s = AutomountTable(p->shared(), p->super()).snapshot().at(f.image("one").slot);
	REQUIRE(s.winner >= 0);
	AutomountRecord rec = s.rec;
	std::memcpy(rec.path, "../etc", 7);
	CHECK_FALSE(automount_path(decode_automount(0, reinterpret_cast<const uint8_t *>(&rec)), rec.image_id));
}

TEST_CASE("config: daxpool.conf, then daxpool.conf.d/*.conf in order; quotes, comments, unknown keys", "[config]")
{
	test::TempDir d;
	REQUIRE(::mkdir((d / "daxpool.conf.d").c_str(), 0755) == 0);
	test::write_file(d / "daxpool.conf", "# comment\n; also\n\nDAXPOOL_LEASE_MS=15000\nDAXPOOL_AUTOMOUNT=yes\n"
					       "DAXPOOL_AUTOMOUNT_SKIP=\"p/a p/b*\"\n");
	test::write_file(d / "daxpool.conf.d/20-late.conf", "DAXPOOL_AUTOMOUNT=no\n");
	test::write_file(d / "daxpool.conf.d/10-early.conf", "DAXPOOL_AUTOMOUNT=maybe\n DAXPOOL_LEASSE_MS = '9'\n");
	test::write_file(d / "daxpool.conf.d/ignored.txt", "not a config line\n");
	Config c = read_config(d.path().string());
	CHECK(c.values["DAXPOOL_LEASE_MS"] == "15000");
	CHECK(c.values["DAXPOOL_AUTOMOUNT"] == "no"); // 20-late after 10-early after daxpool.conf
	CHECK(c.values["DAXPOOL_AUTOMOUNT_SKIP"] == "p/a p/b*");
	CHECK(c.values["DAXPOOL_LEASSE_MS"] == "9");
	REQUIRE(c.unknown.size() == 1);
	CHECK_THAT(c.unknown[0], Contains("10-early.conf:2: DAXPOOL_LEASSE_MS"));
	CHECK(c.files.size() == 3);

	// A line that is not KEY=VALUE is skipped with a warning (a typo must not stop the agent).
	test::write_file(d / "daxpool.conf.d/30-bad.conf", "DAXPOOL_AUTOMOUNT\nDAXPOOL_MARGIN_MS=7\n");
	Config bad = read_config(d.path().string());
	REQUIRE(bad.warnings.size() == 1);
	CHECK_THAT(bad.warnings[0], Contains("30-bad.conf:1: not a KEY=VALUE line (skipped)"));
	CHECK(bad.values["DAXPOOL_MARGIN_MS"] == "7");
	test::TempDir empty;
	CHECK(read_config(empty.path().string()).values.empty()); // no files: defaults
}

TEST_CASE("config: a path from the pool is mounted only below this host's prefixes", "[config][automount]")
{
	AutomountPolicy p; // default prefixes: /srv /mnt /media
	std::string why;
	bool refused = false;
	for (const char *bad : {"/etc/cron.d", "/root/.ssh", "/etc/systemd/system/sshd.service.d", "/usr/lib",
				"/srv", "/srvx/a", "/run/x", "/proc/x", "/var/lib/x"}) {
		INFO(bad);
		CHECK(p.where("pool", "img", bad, why, &refused).empty());
		CHECK(refused);
		CHECK_THAT(why, Contains("not below this host's DAXPOOL_AUTOMOUNT_PREFIXES (/srv /mnt /media)"));
	}
	for (const char *good : {"/srv/x", "/mnt/a/b", "/media/m"}) {
		INFO(good);
		CHECK(p.where("pool", "img", good, why, &refused) == good);
		CHECK_FALSE(refused);
	}
	p.at["pool/img"] = "/var/lib/machines/img"; // this host's own path: anywhere
	CHECK(p.where("pool", "img", "/etc/cron.d", why, &refused) == "/var/lib/machines/img");
	p.prefixes = {"/var/lib/daxpool"};
	CHECK(p.where("pool", "other", "/var/lib/daxpool/o", why) == "/var/lib/daxpool/o");
	CHECK(p.where("pool", "other", "/srv/o", why).empty());
	::setenv("DAXPOOL_AUTOMOUNT_PREFIXES", "/srv relative", 1);
	CHECK_THROWS_WITH(AutomountPolicy::from_settings(), Contains("DAXPOOL_AUTOMOUNT_PREFIXES: 'relative'"));
	::setenv("DAXPOOL_AUTOMOUNT_PREFIXES", "/opt/images /srv", 1);
	CHECK(AutomountPolicy::from_settings().prefixes == std::vector<std::string>{"/opt/images", "/srv"});
	::unsetenv("DAXPOOL_AUTOMOUNT_PREFIXES");
}

TEST_CASE("config: this host's automount policy over the pool's records", "[config][automount]")
{
	AutomountPolicy p;
	std::string why;
	CHECK(p.where("pool", "img", "/srv/x", why) == "/srv/x");
	CHECK(p.where("pool", "img", "", why).empty());
	CHECK(why.empty()); // not marked: nothing to say

	p.skip = {"pool/tmp-*", "other/*"};
	CHECK(p.where("pool", "tmp-1", "/srv/t", why).empty());
	CHECK_THAT(why, Contains("DAXPOOL_AUTOMOUNT_SKIP matches it (pool/tmp-*)"));
	CHECK(p.where("other", "x", "/srv/o", why).empty());
	CHECK(p.where("pool", "img", "/srv/x", why) == "/srv/x");

	p.at["pool/img"] = "/mnt/here";
	p.at["pool/unmarked"] = "/mnt/u";
	CHECK(p.where("pool", "img", "/srv/x", why) == "/mnt/here");   // this host's path wins
	CHECK(p.where("pool", "unmarked", "", why) == "/mnt/u");       // and opts an image in
	p.at["pool/tmp-1"] = "/mnt/t";
	CHECK(p.where("pool", "tmp-1", "", why).empty());              // a skip wins over both

	p.enabled = false;
	CHECK(p.where("pool", "img", "/srv/x", why).empty());
	CHECK_THAT(why, Contains("DAXPOOL_AUTOMOUNT=no"));
}

TEST_CASE("config: settings come from the environment first, then the files; bad values are refused", "[config]")
{
	test::TempDir d;
	test::write_file(d / "daxpool.conf", "DAXPOOL_AUTOMOUNT_AT=\"p/a=/srv/a p/b=relative\"\n");
	auto r = run_cli({"mount", "--all", "--pool", d / "nosuch"}, {{"DAXPOOL_CONF_DIR", d.path().string()}});
	CHECK(r.status == 1);
	// As root the policy is read (and refused) first; as a user mount --all needs root first.
	CHECK_THAT(r.err, Contains("p/b=relative") || Contains("root"));
	::setenv("DAXPOOL_AUTOMOUNT", "sometimes", 1);
	CHECK_THROWS_WITH(AutomountPolicy::from_settings(), Contains("neither yes nor no"));
	::setenv("DAXPOOL_AUTOMOUNT", "no", 1);
	CHECK_FALSE(AutomountPolicy::from_settings().enabled);
	::unsetenv("DAXPOOL_AUTOMOUNT");
	::setenv("DAXPOOL_AUTOMOUNT_AT", "p/a=/srv/a p/c=/srv/c", 1);
	auto p = AutomountPolicy::from_settings();
	CHECK(p.at.at("p/c") == "/srv/c");
	::setenv("DAXPOOL_AUTOMOUNT_AT", "noslash=/srv/a", 1);
	CHECK_THROWS_WITH(AutomountPolicy::from_settings(), Contains("is not POOL/IMAGE=/PATH"));
	::unsetenv("DAXPOOL_AUTOMOUNT_AT");
}
