// SPDX-License-Identifier: GPL-2.0-only
// The multi-host protocol piece by piece (docs/multihost.md): liveness rules, slot claims
// (found again, reboot, clone, Fischer collision), mount records against unload (refusal,
// --force after the lease, the Dekker race both ways), the writer role taken over from a dead
// holder, and a stalled holder that lost its lease writing nothing more. Other hosts are
// processes with their own DAXPOOL_MACHINE_ID / DAXPOOL_BOOT_ID (model_host or daxpool).
#include <catch2/catch.hpp>

#include <json-c/json.h>

#include <chrono>
#include <cstring>

#include "lib/format/daxfs_format.h"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/fsck.hpp"
#include "pool/hosts.hpp"
#include "pool/identity.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;
using Catch::Contains;
using test::run_cli;

namespace {

using Env = std::map<std::string, std::string>;

// Host `c` (a hex digit): machine-id cccc..., hostname host<c>, the given boot and lease.
Env host(char c, char boot = '1', unsigned lease_ms = 0, unsigned margin_ms = 100)
{
	Env e{{"DAXPOOL_MACHINE_ID", std::string(32, c)},
	      {"DAXPOOL_BOOT_ID", std::string(31, '0') + boot},
	      {"DAXPOOL_HOSTNAME", std::string("host") + c}};
	if (lease_ms) {
		e["DAXPOOL_LEASE_MS"] = std::to_string(lease_ms);
		e["DAXPOOL_MARGIN_MS"] = std::to_string(margin_ms);
		e["DAXPOOL_HEARTBEAT_MS"] = std::to_string(std::max(1u, lease_ms / 4));
	}
	return e;
}

test::Run model(const std::vector<std::string> &args, const Env &env)
{
	return test::wait_cli(test::spawn_exe(MODEL_HOST_EXE, args, env));
}

bool util_all_zero_line(Pool &p, uint64_t off)
{
	HostClaim c = p.shared().read_obj<HostClaim>(off);
	const auto *b = reinterpret_cast<const uint8_t *>(&c);
	return std::all_of(b, b + sizeof c, [](uint8_t x) { return x == 0; });
}

struct Fixture {
	test::TempDir d;
	std::string pool = d / "p";
	std::string img = test::make_image(d, "img", 100000);
	PoolRef ref{pool, {}};
	explicit Fixture(uint64_t size = 32 * MiB) { create_file_pool({pool, size, "hosts", false}); }
};

struct JsonDoc {
	json_object *o;
	explicit JsonDoc(const std::string &s) : o(json_tokener_parse(s.c_str())) { REQUIRE(o); }
	~JsonDoc() { json_object_put(o); }
	JsonDoc(const JsonDoc &) = delete;
	JsonDoc &operator=(const JsonDoc &) = delete;
};

json_object *field(json_object *from, const char *key)
{
	json_object *v = nullptr;
	REQUIRE(json_object_object_get_ex(from, key, &v));
	return v;
}

// The host of `status --json` with this hostname (nullptr if none).
json_object *status_host(const JsonDoc &doc, const std::string &name)
{
	json_object *hosts = field(doc.o, "hosts");
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		json_object *h = json_object_array_get_idx(hosts, i);
		if (json_object_get_string(field(h, "hostname")) == name)
			return h;
	}
	return nullptr;
}

void sleep_ms(unsigned ms) { ::usleep(ms * 1000); }

} // namespace

TEST_CASE("hosts: liveness by observed change: only a host's counter counts, never its clock", "[pool][hosts]")
{
	// Three hosts with a 200 ms lease + 100 ms margin. 'behind' stamps its beats 30 s in our
	// past and keeps beating; 'ahead' stamped its last beat an hour in our future and stopped;
	// 'gone' stamped the present and stopped. Judged by change on this host's clock: 'behind'
	// beats, the other two expire after 300 ms of watching - whatever their stamps say.
	auto make = [](uint32_t slot, int64_t stamp_off_ns) {
		HostInfo h;
		h.slot = slot;
		h.claim.state = uint32_t(ClaimState::Claimed);
		h.claim.nonce = 100 + slot;
		h.beat.counter = 1;
		h.beat.time = realtime_ns() + stamp_off_ns;
		h.lease_ms = 200;
		h.margin_ms = 100;
		return h;
	};
	const int64_t s = 1000000000;
	std::vector<HostInfo> hosts{make(0, -30 * s), make(1, 3600 * s), make(2, 0)};
	Watch w;
	auto judge = [&] {
		const int64_t t = boottime_ns();
		w.judge(hosts, t, t);
	};
	judge();
	for (const auto &h : hosts)
		CHECK(h.liveness == Liveness::Silent); // first sighting: alive, nothing known yet
	for (int i = 0; i < 4; i++) {
		sleep_ms(100);
		hosts[0].beat.counter++;
		hosts[0].beat.time += 100 * 1000000;
		judge();
	}
	CHECK(hosts[0].liveness == Liveness::Beating);
	CHECK(hosts[1].liveness == Liveness::Expired);
	CHECK(hosts[2].liveness == Liveness::Expired);
	CHECK(hosts[1].still_ns >= 300 * 1000000);
	// An unreadable heartbeat line counts as a change only while its bytes change (a host
	// writing it); one that stays byte for byte the same (a host that died mid-store) does not.
	hosts[2].beat_unknown = true;
	hosts[2].beat_raw[5] ^= 0xff;
	judge();
	CHECK(hosts[2].liveness == Liveness::Beating);
	sleep_ms(350);
	judge();
	CHECK(hosts[2].liveness == Liveness::Expired);
	// A new claim in the slot (another boot) starts over; LEFT is gone at once.
	hosts[1].claim.nonce = 999;
	judge();
	CHECK(hosts[1].liveness == Liveness::Silent);
	hosts[1].claim.state = uint32_t(ClaimState::Left);
	judge();
	CHECK(hosts[1].liveness == Liveness::Left);
	// This process stalled 10 s between its read and its judgement: standing still is measured
	// to the start of the read, so the stall is not the other host's.
	Watch w2;
	std::vector<HostInfo> one{make(0, 0)};
	int64_t t = boottime_ns();
	w2.judge(one, t, t);
	sleep_ms(100);
	t = boottime_ns();
	w2.judge(one, t, t + 10 * s);
	CHECK(one[0].liveness == Liveness::Silent);
	CHECK(alive(Liveness::Silent));
	CHECK(alive(Liveness::Beating));
	CHECK_FALSE(alive(Liveness::Expired));
	CHECK_FALSE(alive(Liveness::Left));
}

TEST_CASE("hosts: a host finds its slot again, other hosts get their own, status lists them", "[pool][hosts]")
{
	Fixture f;
	test::Run a1 = run_cli({"agent", "--pool", f.pool, "--once"}, host('a'));
	REQUIRE(a1.ok());
	test::Run a2 = run_cli({"agent", "--pool", f.pool, "--once"}, host('a'));
	REQUIRE(a2.ok());
	CHECK(a1.out == a2.out); // "host slot N of ..."
	test::Run b = run_cli({"agent", "--pool", f.pool, "--once"}, host('b'));
	REQUIRE(b.ok());
	CHECK(b.out != a1.out);
	test::Run st = run_cli({"status", "--pool", f.pool, "--json", "--watch", "300"});
	REQUIRE(st.ok());
	JsonDoc doc(st.out);
	CHECK(json_object_array_length(field(doc.o, "hosts")) == 2);
	json_object *ha = status_host(doc, "hosta");
	REQUIRE(ha);
	CHECK(std::string(json_object_get_string(field(ha, "machine_id"))) == std::string(32, 'a'));
	// One beat each (--once), then nothing: not seen to change while status watched.
	CHECK(std::string(json_object_get_string(field(ha, "state"))) == "silent");
	CHECK(json_object_get_type(field(doc.o, "writer")) == json_type_null);
	test::Run text = run_cli({"status", "--pool", f.pool, "--watch", "100"});
	CHECK_THAT(text.out, Contains("writer role: free") && Contains("host 'hostb'") && Contains(": silent") &&
				     Contains("stamped") && Contains("by its own clock"));
	// Status is read-only: it works without write access and changes nothing.
	std::string before = test::read_file(f.pool);
	CHECK(run_cli({"status", "--pool", f.pool}).ok());
	CHECK((test::read_file(f.pool) == before));
}

TEST_CASE("hosts: a rebooted host takes its slot over and drops the mounts of its earlier boot", "[pool][hosts]")
{
	Fixture f;
	REQUIRE(run_cli({"load", f.img, "--pool", f.pool, "--name", "web"}).ok());
	test::Run m = model({"mount", f.pool, "web", "/mnt/web"}, host('a', '1', 300));
	REQUIRE(m.ok());
	test::Run st = run_cli({"status", "--pool", f.pool});
	CHECK_THAT(st.out, Contains("mounted 'web'") && Contains("/mnt/web"));
	test::Run a1 = run_cli({"agent", "--pool", f.pool, "--once"}, host('a', '1', 300));
	sleep_ms(500); // boot 1's heartbeat expires
	test::Run a2 = run_cli({"agent", "--pool", f.pool, "--once"}, host('a', '2', 300));
	REQUIRE(a2.ok());
	CHECK(a1.out == a2.out); // the same slot
	JsonDoc doc(run_cli({"status", "--pool", f.pool, "--json"}).out);
	json_object *ha = status_host(doc, "hosta");
	REQUIRE(ha);
	CHECK(std::string(json_object_get_string(field(ha, "boot_id"))) == std::string(31, '0') + "2");
	CHECK(json_object_array_length(field(ha, "mounts")) == 0);
	CHECK(run_cli({"unload", "web", "--pool", f.pool}).ok()); // no --force needed
}

TEST_CASE("hosts: a clone (same machine-id, another boot, still beating) is refused", "[pool][hosts]")
{
	Fixture f;
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "1000"}, host('a', '1'));
	bool up = false;
	for (int i = 0; i < 100 && !up; i++) {
		sleep_ms(50);
		up = run_cli({"status", "--pool", f.pool}).out.find("host 'hosta'") != std::string::npos;
	}
	REQUIRE(up);
	test::Run clone = run_cli({"agent", "--pool", f.pool, "--once"}, host('a', '2'));
	CHECK(clone.status == 1);
	CHECK_THAT(clone.err, Contains("looks like a clone with the same /etc/machine-id") &&
				      Contains("systemd-machine-id-setup") && Contains("'hosta'"));
	::kill(agent.pid, SIGTERM);
	test::Run a = test::wait_cli(agent);
	CHECK(a.ok());
	CHECK_THAT(a.err, Contains("has left the pool")); // a note: stderr
	// Once the first one has left, the second boot takes the slot.
	CHECK(run_cli({"agent", "--pool", f.pool, "--once"}, host('a', '2')).ok());
}

TEST_CASE("hosts: clones that claimed two slots at once are refused once the other is seen beating", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	auto s = HostSession::claim(*p);
	// The clone (same machine-id, another boot) claimed another slot at the same moment:
	// neither saw the other's claim while claiming. It beats (its counter advances).
	const uint64_t base = p->super().host_table_off, size = p->super().host_slot_size;
	uint32_t free_slot = 0;
	while (!util_all_zero_line(*p, base + free_slot * size))
		free_slot++;
	HostClaim c{};
	c.magic = HOST_MAGIC;
	c.state = uint32_t(ClaimState::Claimed);
	std::copy(self().host.begin(), self().host.end(), c.machine_id);
	std::memset(c.boot_id, 0x22, 16);
	c.nonce = 9;
	c.claimed = realtime_ns();
	c.crc = daxfs_crc32c(&c, LINE_CRC_LEN);
	p->shared().commit_obj(base + free_slot * size, c);
	auto clone_beat = [&](uint64_t n) {
		HostBeat b{};
		b.counter = n;
		b.time = realtime_ns();
		b.lease_ms = 3000;
		b.margin_ms = 1000;
		b.crc = daxfs_crc32c(&b, LINE_CRC_LEN);
		p->shared().commit_obj(base + free_slot * size + HOST_LINE_BEAT * LINE, b);
	};
	clone_beat(1);
	CHECK_NOTHROW(s->beat()); // first sighting: not known to beat yet
	CHECK_NOTHROW(s->beat()); // it stood still since: nothing known against it
	clone_beat(2);
	CHECK_THROWS_WITH(s->beat(), Contains("looks like a clone with the same /etc/machine-id") &&
					     Contains("slot " + std::to_string(free_slot)));
	// Another machine is not a clone.
	CHECK(run_cli({"agent", "--pool", f.pool, "--once"}, host('b', '1')).ok());
}

TEST_CASE("hosts: a claim that collides with another host's loses and takes another slot", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	const Identity &me = self();
	const uint64_t base = p->super().host_table_off, size = p->super().host_slot_size;
	int64_t collided = -1;
	// Right after our claim is written, "another host" (which read the slot as empty just before)
	// writes its claim over it: our reread after the settle time must see it and give up.
	set_fault_hook([&](const char *point) {
		if (std::strcmp(point, "claim.written") != 0 || collided >= 0)
			return;
		for (uint32_t i = 0; i < p->super().host_slots; i++) {
			HostClaim c = p->shared().read_obj<HostClaim>(base + i * size);
			if (std::memcmp(c.machine_id, me.host.data(), 16) == 0) {
				HostClaim other{};
				other.magic = HOST_MAGIC;
				other.state = uint32_t(ClaimState::Claimed);
				std::memset(other.machine_id, 0xee, 16);
				std::memset(other.boot_id, 0x11, 16);
				other.nonce = 7;
				other.claimed = realtime_ns();
				other.crc = daxfs_crc32c(&other, LINE_CRC_LEN);
				p->shared().commit_obj(base + i * size, other);
				collided = i;
				return;
			}
		}
	});
	auto s = HostSession::claim(*p);
	set_fault_hook(nullptr);
	REQUIRE(collided >= 0);
	CHECK(s->slot() != uint32_t(collided));
	auto hosts = read_hosts(*p);
	REQUIRE(hosts.size() == 2);
	for (const auto &h : hosts)
		if (h.slot == uint32_t(collided))
			CHECK(h.machine_id == std::string(32, 'e')); // the other host's slot is untouched
		else
			CHECK(h.slot == s->slot());
	auto again = HostSession::claim(*p); // (this host: found again, no new claim)
	CHECK(again->slot() == s->slot());
}

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

TEST_CASE("writer role: a dead holder's ticket is ignored once it stood still; its extent stays quarantined",
	  "[pool][hosts]")
{
	Fixture f(40 * MiB);
	std::string big = test::make_image(f.d, "big", 9 * 1024 * 1024); // a 12 MiB extent: three fit
	REQUIRE(run_cli({"load", big, "--pool", f.pool, "--name", "base"}).ok());
	test::Run b = run_cli({"load", big, "--pool", f.pool, "--name", "dead"},
			      [] { Env e = host('b', '1', 400, 200); e["DAXPOOL_FAULT"] = "load.copy:1"; return e; }());
	REQUIRE(b.signal == SIGKILL);
	auto killed = std::chrono::steady_clock::now();
	test::Run c = run_cli({"load", big, "--pool", f.pool, "--name", "next"}, host('c'));
	auto done = std::chrono::steady_clock::now();
	INFO(c.err);
	CHECK(c.ok());
	// It had to watch hostb's ticket stand still for its lease + margin (400 + 200 ms).
	CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(done - killed).count() >= 600);
	auto names = [&] {
		std::vector<std::string> v;
		for (const auto &i : Pool::open(f.ref, Access::ReadOnly)->info(true).images)
			v.push_back(i.name + ":" + state_name(i.state));
		return v;
	};
	// hostb (no agent) never showed that its writer stopped: a writer paused there could still
	// store into "dead"'s extent, so nobody reuses it ("next" took the third one).
	CHECK(names() == std::vector<std::string>{"base:sealed", "dead:writing", "next:sealed"});
	CHECK(run_cli({"load", big, "--pool", f.pool, "--name", "more"}, host('c')).status == 1); // full
	{
		// Nor does destroy let a new pool take that memory while its writer may still store.
		auto p = Pool::open(f.ref, Access::ReadWrite);
		CHECK_THROWS_WITH(p->destroy(false, "pool hosts", "daxpool destroy --pool hosts --force", nullptr, nullptr),
				  Contains("refusing to destroy pool hosts") && Contains("'dead'") &&
					  Contains("is being loaded by pid"));
	}
	test::Run u = run_cli({"unload", "dead", "--pool", f.pool}, host('c'));
	CHECK(u.status == 1);
	CHECK_THAT(u.err, Contains("is being loaded by pid") && Contains("host 'hostb'") && Contains("--force"));
	u = run_cli({"unload", "dead", "--pool", f.pool, "--force"}, host('c'));
	INFO(u.err);
	CHECK(u.ok());
	CHECK_THAT(u.err, Contains("reclaimed the interrupted load of 'dead' from host 'hostb'"));
	CHECK(names() == std::vector<std::string>{"base:sealed", "next:sealed"});
	CHECK(fsck_pool(f.ref, false).ok());
}

TEST_CASE("writer role: a holder paused with its clocks frozen is fenced when it resumes", "[pool][hosts]")
{
	Fixture f(48 * MiB);
	std::string big = test::make_image(f.d, "big", 20 * 1024 * 1024); // 10 chunks, a 22 MiB extent: two fit
	// hostb's clocks stand still while it is stopped, as a paused VM's do: when it resumes, its
	// own lease check passes (no time passed for it). Only the epoch can stop it.
	std::string freeze = f.d / "freeze-b";
	test::write_file(freeze, "0");
	Env b = host('b', '1', 400, 200);
	b["DAXPOOL_TEST_FREEZE_FILE"] = freeze;
	test::Child child = test::spawn_exe(MODEL_HOST_EXE, {"load-stop", f.pool, big, "stalled"}, b);
	int st = 0;
	REQUIRE(::waitpid(child.pid, &st, WUNTRACED) == child.pid);
	REQUIRE(WIFSTOPPED(st)); // stopped (all its threads) right after writing its WRITING entry
	auto stopped = std::chrono::steady_clock::now();
	// Another host takes the role once hostb's ticket stood still, and loads into the other extent.
	test::Run c = run_cli({"load", big, "--pool", f.pool, "--name", "winner"}, host('c'));
	INFO(c.err);
	REQUIRE(c.ok());
	auto p = Pool::open(f.ref, Access::ReadOnly);
	uint64_t winner_off = 0;
	for (const auto &i : p->info(true).images)
		if (i.name == "winner")
			winner_off = i.offset;
	const std::string before = test::read_file(f.pool).substr(winner_off, 22 * MiB);
	auto paused_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - stopped).count();
	test::write_file(freeze, std::to_string(paused_ns)); // its clocks did not advance meanwhile
	::kill(child.pid, SIGCONT);
	test::Run rb = test::wait_cli(child);
	CHECK(rb.status == 1);
	CHECK_THAT(rb.err, Contains("fenced") && Contains("was taken over"));
	std::vector<std::string> names;
	for (const auto &i : p->info(true).images)
		names.push_back(i.name + ":" + state_name(i.state));
	CHECK(names == std::vector<std::string>{"stalled:writing", "winner:sealed"}); // it sealed nothing
	CHECK((test::read_file(f.pool).substr(winner_off, 22 * MiB) == before)); // nor touched the winner
	// It stopped, and its host says so (the ticket is gone): the next writer frees its extent.
	REQUIRE(run_cli({"load", f.img, "--pool", f.pool, "--name", "after"}, host('c')).ok());
	names.clear();
	for (const auto &i : Pool::open(f.ref, Access::ReadOnly)->info(true).images)
		names.push_back(i.name + ":" + state_name(i.state));
	std::sort(names.begin(), names.end());
	CHECK(names == std::vector<std::string>{"after:sealed", "winner:sealed"});
	PoolFsckReport r = fsck_pool(f.ref, false);
	CHECK(r.ok());
}

TEST_CASE("hosts: the holder's lease check: a gap of a lease between its own beats is final", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	Timing t;
	t.lease_ms = 200;
	t.margin_ms = 100;
	t.heartbeat_ms = 50;
	t.settle_ms = 20;
	auto s = HostSession::claim(*p, t);
	CHECK_NOTHROW(s->check_lease());
	s->start_beating();
	sleep_ms(400); // the thread keeps the lease
	CHECK_NOTHROW(s->check_lease());
	s->stop_beating();
	sleep_ms(250);
	CHECK_THROWS_WITH(s->check_lease(), Contains("lost the writer role") && Contains("has not beaten for"));
	s->beat(); // beating again does not undo it: others may have taken over meanwhile
	CHECK_THROWS_WITH(s->check_lease(), Contains("lost the writer role") && Contains("did not beat for"));
}

TEST_CASE("writer role: a writer process that died on a host that lives on stops blocking after its lease",
	  "[pool][hosts]")
{
	Fixture f(28 * MiB);
	std::string big = test::make_image(f.d, "big", 9 * 1024 * 1024); // a 12 MiB extent: two fit
	REQUIRE(run_cli({"load", big, "--pool", f.pool, "--name", "base"}).ok());
	Env b = host('b', '1', 400, 200);
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "400"}, b);
	Env crash = b;
	crash["DAXPOOL_FAULT"] = "load.copy:1";
	REQUIRE(run_cli({"load", big, "--pool", f.pool, "--name", "dead"}, crash).signal == SIGKILL);
	test::Run c = run_cli({"load", big, "--pool", f.pool, "--name", "next"}, host('c'));
	INFO(c.err);
	CHECK(c.ok());
	JsonDoc doc(run_cli({"status", "--pool", f.pool, "--json"}).out);
	json_object *hb = status_host(doc, "hostb");
	REQUIRE(hb);
	CHECK(std::string(json_object_get_string(field(hb, "state"))) == "beating"); // the host itself lives on
	::kill(agent.pid, SIGTERM);
	CHECK(test::wait_cli(agent).ok());
	auto p = Pool::open(f.ref, Access::ReadOnly);
	std::vector<std::string> names;
	for (const auto &i : p->info(true).images)
		names.push_back(i.name + ":" + state_name(i.state));
	CHECK(names == std::vector<std::string>{"base:sealed", "next:sealed"});
}

TEST_CASE("status: names the host in the writer role and what it is doing", "[pool][hosts]")
{
	Fixture f;
	test::Child b = test::spawn_exe(MODEL_HOST_EXE, {"load-stop", f.pool, f.img, "slow"}, host('b', '1', 10000, 1000));
	int st = 0;
	REQUIRE(::waitpid(b.pid, &st, WUNTRACED) == b.pid);
	REQUIRE(WIFSTOPPED(st));
	test::Run r = run_cli({"status", "--pool", f.pool, "--json", "--watch", "200"});
	JsonDoc doc(r.out);
	json_object *w = field(doc.o, "writer");
	REQUIRE(json_object_get_type(w) == json_type_object);
	CHECK(std::string(json_object_get_string(field(w, "hostname"))) == "hostb");
	CHECK(std::string(json_object_get_string(field(w, "op"))) == "load");
	CHECK(json_object_get_int64(field(w, "pid")) == b.pid);
	CHECK_THAT(run_cli({"status", "--pool", f.pool, "--watch", "200"}).out,
		   Contains("writer role: host 'hostb'") && Contains("load since"));
	::kill(b.pid, SIGKILL);
	test::wait_cli(b);
}

TEST_CASE("writer role: a ticket lives by its holder's lease, whatever the host's agent announces", "[pool][hosts]")
{
	Fixture f;
	// hostb's agent announces a 300 ms lease; its writer runs with the default (3 s here) and
	// beats its ticket every second while it sits 1.5 s in the writer role. hostc must wait.
	Env b = host('b');
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "300", "--margin", "100"}, b);
	sleep_ms(200);
	test::Child wb = test::spawn_exe(MODEL_HOST_EXE, {"load-pause", f.pool, f.img, "slow", "1500"}, b);
	sleep_ms(500); // hostb is in the role now
	test::Run c = run_cli({"load", f.img, "--pool", f.pool, "--name", "after"}, host('c'));
	CHECK(c.ok());
	int st = 0;
	// hostb's writer finished before hostc's load could: it is no longer running.
	CHECK(::waitpid(wb.pid, &st, WNOHANG) == wb.pid);
	CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
	::unlink(wb.out_path.c_str());
	::unlink(wb.err_path.c_str());
	::kill(agent.pid, SIGTERM);
	test::wait_cli(agent);
	CHECK(fsck_pool(f.ref, false).ok());
	CHECK(Pool::open(f.ref, Access::ReadOnly)->info(false).images.size() == 2);
}

TEST_CASE("hosts: a claim line left torn (garbage, bad CRC) is claimable once it stays torn", "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	const Identity &me = self();
	const uint32_t first = daxfs_crc32c(me.host.data(), 16) % p->super().host_slots;
	const uint64_t off = p->super().host_table_off + uint64_t(first) * p->super().host_slot_size;
	HostClaim garbage;
	std::memset(&garbage, 0x5a, sizeof garbage); // what two claimants' mixed stores could leave
	p->shared().commit_obj(off, garbage);
	CHECK(read_hosts(*p).empty()); // not a host
	auto s = HostSession::claim(*p);
	CHECK(s->slot() == first);
	auto hosts = read_hosts(*p);
	REQUIRE(hosts.size() == 1);
	CHECK(hosts[0].slot == first);
}

namespace {

// The slot of the host with this hostname.
uint32_t slot_of(Pool &p, const std::string &name)
{
	for (int i = 0; i < 200; i++) {
		for (const auto &h : read_hosts(p))
			if (h.hostname == name)
				return h.slot;
		sleep_ms(20);
	}
	FAIL("no slot for " << name);
	return 0;
}

// Garbage with a bad CRC in line `line` of `slot`: what a torn or damaged line looks like.
void tear(Pool &p, uint32_t slot, uint32_t line)
{
	HostTicket garbage;
	std::memset(&garbage, 0x5a, sizeof garbage);
	p.shared().commit_obj(p.super().host_table_off + uint64_t(slot) * p.super().host_slot_size + line * LINE, garbage);
}

} // namespace

TEST_CASE("hosts: an unreadable ticket of a host in the writer role blocks others; never read as no ticket",
	  "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	Env b = host('b', '1', 400, 200);
	// hostb's writer sits 3 s in the role (it holds its host's writer lock and beats).
	test::Child wb = test::spawn_exe(MODEL_HOST_EXE, {"load-pause", f.pool, f.img, "slow", "3000"}, b);
	const uint32_t bslot = slot_of(*p, "hostb");
	for (int i = 0; i < 200 && !Pool::open(f.ref, Access::ReadOnly)->info(true).images.size(); i++)
		sleep_ms(20); // its WRITING entry is there: it is in the role
	tear(*p, bslot, HOST_LINE_TICKET);
	test::Child c = test::spawn_cli({"load", f.img, "--pool", f.pool, "--name", "c"}, host('c'));
	sleep_ms(1200); // hostb's ticket may be anything: hostc waits
	int st = 0;
	CHECK(::waitpid(c.pid, &st, WNOHANG) == 0);
	// hostb's writer finds its ticket line changed at its next check and stops, clearing it.
	test::Run rb = test::wait_cli(wb);
	CHECK(rb.status != 0);
	CHECK_THAT(rb.err, Contains("lost the writer role"));
	test::Run rc = test::wait_cli(c);
	INFO(rc.err);
	CHECK(rc.ok());
	CHECK(fsck_pool(f.ref, false).ok());
}

TEST_CASE("hosts: an unreadable ticket line is cleared by its own host once no writer of it holds the lock",
	  "[pool][hosts]")
{
	Fixture f;
	auto p = Pool::open(f.ref, Access::ReadWrite);
	Env b = host('b', '1', 400, 200);
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "400", "--margin", "200"}, b);
	const uint32_t bslot = slot_of(*p, "hostb");
	tear(*p, bslot, HOST_LINE_TICKET);
	auto t0 = std::chrono::steady_clock::now();
	test::Run rc = run_cli({"load", f.img, "--pool", f.pool, "--name", "c"}, host('c'));
	INFO(rc.err);
	CHECK(rc.ok());
	// Well before hostb could be judged gone (it beats all along): its agent cleared the line.
	CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count() < 3000);
	HostTicket t = p->shared().read_obj<HostTicket>(p->super().host_table_off +
							 uint64_t(bslot) * p->super().host_slot_size + HOST_LINE_TICKET * LINE);
	const auto *bytes = reinterpret_cast<const uint8_t *>(&t);
	CHECK(std::all_of(bytes, bytes + sizeof t, [](uint8_t x) { return x == 0; }));
	::kill(agent.pid, SIGTERM);
	test::wait_cli(agent);
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
