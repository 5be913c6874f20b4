// SPDX-License-Identifier: GPL-2.0-only
// Host slots (docs/multihost.md): liveness by observed change, slot claims (found again, reboot,
// clone, Fischer collision, a torn claim line) and the holder's own lease check.
#include "tests/unit/hosts_fixture.hpp"

using namespace daxpool::pool;
using namespace hosts_test;
using Catch::Contains;
using test::run_cli;

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

// c's result once it exits within ms; else it is killed (status -1, signal SIGKILL).
test::Run wait_within(const test::Child &c, unsigned ms)
{
	int st = 0;
	pid_t r = 0;
	for (unsigned waited = 0; (r = ::waitpid(c.pid, &st, WNOHANG)) == 0 && waited < ms; waited += 20)
		sleep_ms(20);
	if (r == 0) {
		::kill(c.pid, SIGKILL);
		::waitpid(c.pid, &st, 0);
	}
	test::Run run;
	if (WIFEXITED(st))
		run.status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		run.signal = WTERMSIG(st);
	run.out = test::read_file(c.out_path);
	run.err = test::read_file(c.err_path);
	::unlink(c.out_path.c_str());
	::unlink(c.err_path.c_str());
	return run;
}

// The agent's status for "no pool here" (cli/commands.hpp: EXIT_NO_POOL), which
// daxpool-agent@.service neither restarts nor counts as a failure.
constexpr int AGENT_NO_POOL = 3;

// Lines of s that contain what.
size_t lines_with(const std::string &s, const std::string &what)
{
	size_t n = 0, at = 0;
	while (at < s.size()) {
		size_t end = s.find('\n', at);
		if (end == std::string::npos)
			end = s.size();
		n += s.substr(at, end - at).find(what) != std::string::npos;
		at = end + 1;
	}
	return n;
}

void wait_up(const std::string &pool, const std::string &name)
{
	bool up = false;
	for (int i = 0; i < 100 && !up; i++) {
		sleep_ms(50);
		up = run_cli({"status", "--pool", pool}).out.find("host '" + name + "'") != std::string::npos;
	}
	REQUIRE(up);
}

// What `daxpool destroy` does to the pool (its device part is for devices only): refused for
// mounted images, then both superblocks and the region record wiped. Another host.
void destroy_pool(const Fixture &f)
{
	auto p = Pool::open(f.ref, Access::ReadWrite);
	p->destroy(false, "pool hosts", "daxpool destroy --pool hosts --force");
}

} // namespace

TEST_CASE("hosts: agent: a pool destroyed under it ends it at its next beat with the no-pool status", "[pool][hosts][agent]")
{
	Fixture f;
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "1000"}, host('a', '1'));
	wait_up(f.pool, "hosta");
	destroy_pool(f);
	test::Run a = wait_within(agent, 3000); // 60 beats' time: it must notice at the next one
	CHECK(a.signal == 0);
	CHECK(a.status == AGENT_NO_POOL);
	CHECK_THAT(a.err, Contains("daxpool: agent: pool 'hosts' (") && Contains(") on " + f.pool + " is gone") &&
				  Contains("destroyed or wiped"));
	CHECK(lines_with(a.err, "is gone") == 1);
	CHECK(lines_with(a.err, "error") == 0); // a clean stop: no error, no "lost"/"clone" story
	CHECK(lines_with(a.err, "warning") == 0);
	// Started again (a unit that restarts it): no pool there, the same status at once.
	test::Run again = run_cli({"agent", "--pool", f.pool}, host('a', '1'));
	CHECK(again.status == AGENT_NO_POOL);
	CHECK(again.err == "daxpool: agent: no pool on " + f.pool +
				   " (no daxpool superblock: destroyed, wiped or never made); nothing to beat, stopped\n");
}

TEST_CASE("hosts: agent: stopped after its pool was destroyed, it writes nothing there (no LEFT)", "[pool][hosts][agent]")
{
	Fixture f;
	// A long interval: no beat between the destroy and SIGTERM; the check before leaving finds it.
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "5000", "--lease", "15000"}, host('a', '1'));
	wait_up(f.pool, "hosta");
	destroy_pool(f);
	const std::string wiped = test::read_file(f.pool);
	::kill(agent.pid, SIGTERM);
	test::Run a = wait_within(agent, 3000);
	CHECK(a.status == AGENT_NO_POOL);
	CHECK_THAT(a.err, Contains("is gone") && !Contains("has left the pool") && !Contains("error"));
	CHECK((test::read_file(f.pool) == wiped));
}

TEST_CASE("hosts: agent: its memory taken away under it (the mapping faults) is the no-pool status, in one line", "[pool][hosts][agent]")
{
	// What an agent started by hand meets when destroy removes the namespace or region under it
	// (daxpool-agent@.service is stopped first): its mapping faults, SIGBUS (BUS_ADRERR). A
	// file-backed pool truncated to nothing faults the same way.
	Fixture f;
	test::Child agent = test::spawn_cli({"agent", "--pool", f.pool, "--interval", "50", "--lease", "1000"}, host('a', '1'));
	wait_up(f.pool, "hosta");
	REQUIRE(::truncate(f.pool.c_str(), 0) == 0);
	test::Run a = wait_within(agent, 3000);
	CHECK(a.signal == 0); // not killed by SIGBUS
	CHECK(a.status == AGENT_NO_POOL);
	CHECK_THAT(a.err, Contains("daxpool: agent: the memory of pool 'hosts' (") && Contains(") on " + f.pool + " went away") &&
				  Contains("nothing to beat, stopped\n"));
	CHECK(lines_with(a.err, "went away") == 1);
	CHECK(lines_with(a.err, "error") == 0);
}

TEST_CASE("hosts: agent: no pool at its start is the no-pool status; a damaged pool is an error", "[pool][hosts][agent]")
{
	test::TempDir d;
	const std::string empty = d / "empty", zeros = d / "zeros", damaged = d / "damaged";
	test::write_file(empty, "");
	test::write_file(zeros, std::string(4 * MiB, '\0'));
	for (const auto &path : {empty, zeros}) {
		test::Run r = run_cli({"agent", "--pool", path}, host('a'));
		CHECK(r.status == AGENT_NO_POOL);
		CHECK(r.out.empty());
		CHECK(r.err == "daxpool: agent: no pool on " + path +
				       " (no daxpool superblock: destroyed, wiped or never made); nothing to beat, stopped\n");
	}
	// Both superblock copies damaged, their magic kept: still a pool, to repair; not "no pool"
	// (status 1: the unit restarts it, the operator sees it fail).
	create_file_pool({damaged, 32 * MiB, "hosts", false});
	{
		auto p = Pool::open({damaged, {}}, Access::ReadWrite);
		for (uint64_t off : {PRIMARY_SB_OFF, BACKUP_SB_OFF}) {
			PoolSuper sb = p->shared().read_obj<PoolSuper>(off);
			sb.uuid[3] ^= 0xff; // the CRC no longer matches
			p->shared().commit_obj(off, sb);
		}
	}
	test::Run r = run_cli({"agent", "--pool", damaged}, host('a'));
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("daxpool: error: ") && Contains("is not a daxpool pool"));
	// A path that is not there: an error (a device not there yet), restarted.
	CHECK(run_cli({"agent", "--pool", d / "missing"}, host('a')).status == 1);
}
