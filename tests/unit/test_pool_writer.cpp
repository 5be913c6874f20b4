// SPDX-License-Identifier: GPL-2.0-only
// The writer role across hosts (docs/multihost.md): a dead or paused holder's ticket, the fencing
// epoch, quarantine of its extent, a ticket living by its holder's lease, unreadable tickets.
#include "tests/unit/hosts_fixture.hpp"

using namespace daxpool::pool;
using namespace hosts_test;
using Catch::Contains;
using test::run_cli;

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
