// SPDX-License-Identifier: GPL-2.0-only
// The model test of the multi-host protocol (docs/multihost.md, "Tests"): N processes
// (model_host run) play N hosts with their own machine-id and boot id against one file-backed
// pool, loading, unloading (sometimes with --force), mounting and unmounting at random with
// random delays, while this driver SIGKILLs hosts at random and brings them back as a new boot.
//
// Checked continuously: no two extents in force overlap and every entry's fields are valid;
// every MOUNTED record of a host that stayed alive names an image that is SEALED or RETIRED; each
// host checks the bytes of the images it has mounted and that nobody else is in the writer role
// while it is (exit 3 = violation). At the end: fsck clean, and once every host has expired, a
// --force unload of everything gives back the whole data area (nothing leaked).
//
// Each host is DAXPOOL_SOAK_PROCS processes (default 2) with one identity, so processes of one
// host also meet (local writer lock, slot lock); a host crash kills them all and brings them back
// as a new boot, and now and then a single process dies on a host that lives on.
//
// Seeds are fixed. Soak: DAXPOOL_SOAK_SECONDS (default 12), DAXPOOL_SOAK_HOSTS (default 4),
// DAXPOOL_SOAK_SEED (default 1), e.g.
//   DAXPOOL_SOAK_SECONDS=600 DAXPOOL_SOAK_HOSTS=6 DAXPOOL_SOAK_SEED=7 build/tests/unit/test_pool_multihost
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fsck.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;

namespace {

unsigned env_num(const char *name, unsigned dflt)
{
	const char *v = std::getenv(name);
	return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : dflt;
}

struct Proc {
	test::Child child;
	bool running = false;
};

// A host: `procs` processes with one identity (a new boot id after each crash of the host).
struct Host {
	unsigned index = 0;
	unsigned boot = 0;
	std::vector<Proc> procs;
	bool up() const
	{
		for (const auto &p : procs)
			if (p.running)
				return true;
		return false;
	}
	std::string machine() const
	{
		char b[40];
		std::snprintf(b, sizeof b, "%032x", 0xa0 + index);
		return b;
	}
	std::string boot_id() const
	{
		char b[40];
		std::snprintf(b, sizeof b, "%016x%016x", index + 1, boot);
		return b;
	}
};

// Lease short enough that killed hosts expire quickly, long enough that a busy 2-core machine
// does not miss beats (the driver counts lease losses; they are not violations).
const std::map<std::string, std::string> timing = {{"DAXPOOL_LEASE_MS", "800"},
						   {"DAXPOOL_MARGIN_MS", "300"},
						   {"DAXPOOL_HEARTBEAT_MS", "100"},
						   {"DAXPOOL_CLAIM_SETTLE_MS", "100"}};

// One continuous check. Host table, then catalog, then host table again: a MOUNTED record seen
// in both host-table reads, of a host alive in both, pins its image through the catalog read.
// Alive as the driver judges by watching the whole run (docs/multihost.md, "Liveness"): a
// --force reclaims only mounts of a host whose heartbeat stood still for its lease + margin while
// the reclaimer watched, and the driver has watched at least as long.
void check_once(Pool &p, Watch &watch, unsigned &checks)
{
	auto h1 = watch.look(p);
	auto slots = p.catalog().snapshot();
	auto h2 = watch.look(p);
	checks++;
	std::vector<std::pair<uint64_t, uint64_t>> ext;
	std::map<uint64_t, State> by_id;
	for (const auto &s : slots) {
		REQUIRE_FALSE(s.damaged());
		if (!s.holds_space())
			continue;
		INFO("slot " << s.index << " '" << s.name() << "'");
		REQUIRE(check_entry_fields(s.entry, p.super()).empty());
		ext.emplace_back(s.entry.offset, s.entry.length);
		by_id[s.entry.id] = s.state();
	}
	std::sort(ext.begin(), ext.end());
	for (size_t i = 1; i < ext.size(); i++)
		REQUIRE(ext[i - 1].first + ext[i - 1].second <= ext[i].first); // no overlapping extents
	for (const auto &a : h1) {
		if (!alive(a.liveness) || a.lapsed)
			continue;
		for (const auto &b : h2) {
			if (b.slot != a.slot || !alive(b.liveness) || b.lapsed || std::memcmp(&a.claim, &b.claim, sizeof a.claim) != 0)
				continue;
			for (const auto &m : a.mounts) {
				if (m.state != MountState::Mounted)
					continue;
				bool still = false;
				for (const auto &m2 : b.mounts)
					still |= m2.image_id == m.image_id && m2.mp_hash == m.mp_hash && m2.since == m.since;
				if (!still)
					continue;
				INFO("host " << a.hostname << " has image id " << m.image_id << " mounted at " << m.mountpoint);
				auto it = by_id.find(m.image_id);
				REQUIRE(it != by_id.end()); // no image lost while mounted by a live host
				REQUIRE((it->second == State::Sealed || it->second == State::Retired));
			}
		}
	}
}

void model_run(unsigned seed, unsigned seconds, unsigned nhosts, unsigned procs_per_host)
{
	test::TempDir d;
	const std::string pool = d / "p", witness = d / "witness";
	// Images of 1, 3 and 5 MiB (extents 2, 4, 6 MiB) into 40 MiB of data: full pools happen.
	std::vector<std::string> images = {test::make_image(d, "s", 1 << 20, seed), test::make_image(d, "m", 3 << 20, seed + 1),
					   test::make_image(d, "l", 5 << 20, seed + 2)};
	create_file_pool({pool, 42 * MiB, "model", false});
	auto p = Pool::open({pool, {}}, Access::ReadOnly);

	std::mt19937_64 rng(seed);
	std::vector<Host> hosts(nhosts);
	unsigned starts = 0;
	auto start = [&](Host &h, Proc &pr, double secs) {
		auto env = timing;
		env["DAXPOOL_MACHINE_ID"] = h.machine();
		env["DAXPOOL_BOOT_ID"] = h.boot_id();
		env["DAXPOOL_HOSTNAME"] = "h" + std::to_string(h.index);
		std::vector<std::string> args = {"run", pool, std::to_string(seed * 100000 + starts++), std::to_string(secs),
						 witness};
		args.insert(args.end(), images.begin(), images.end());
		pr.child = test::spawn_exe(MODEL_HOST_EXE, args, env);
		pr.running = true;
	};
	for (unsigned i = 0; i < nhosts; i++) {
		hosts[i].index = i;
		hosts[i].procs.resize(procs_per_host);
		for (auto &pr : hosts[i].procs)
			start(hosts[i], pr, seconds);
	}
	const auto t0 = std::chrono::steady_clock::now();
	auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
	unsigned host_kills = 0, proc_kills = 0, checks = 0, lost_leases = 0;
	Watch watch;
	std::vector<std::string> summaries;
	auto reap = [&](Host &h, Proc &pr, const test::Run &r) {
		pr.running = false;
		INFO("host h" << h.index << " boot " << h.boot << " (seed " << seed << "): " << r.err);
		REQUIRE(r.status != 3); // a violation
		if (r.status == 4)
			lost_leases++;
		else if (r.signal != SIGKILL)
			REQUIRE(r.status == 0);
		if (r.status == 0)
			summaries.push_back(r.out);
	};
	while (elapsed() < seconds) {
		::usleep(static_cast<useconds_t>(20000 + rng() % 60000));
		check_once(*p, watch, checks);
		for (auto &h : hosts)
			for (auto &pr : h.procs) {
				int st = 0;
				if (!pr.running || ::waitpid(pr.child.pid, &st, WNOHANG) != pr.child.pid)
					continue;
				// Finished or failed by itself.
				test::Run r;
				if (WIFEXITED(st))
					r.status = WEXITSTATUS(st);
				else if (WIFSIGNALED(st))
					r.signal = WTERMSIG(st);
				r.out = test::read_file(pr.child.out_path);
				r.err = test::read_file(pr.child.err_path);
				::unlink(pr.child.out_path.c_str());
				::unlink(pr.child.err_path.c_str());
				reap(h, pr, r);
			}
		// Now and then a host crashes (SIGKILL of all its processes: no clean-up of any kind)
		// and reboots later; more rarely one process of a host that lives on dies.
		if (rng() % 40 == 0) {
			Host &h = hosts[rng() % nhosts];
			if (h.up()) {
				for (auto &pr : h.procs)
					if (pr.running)
						::kill(pr.child.pid, SIGKILL);
				for (auto &pr : h.procs)
					if (pr.running)
						reap(h, pr, test::wait_cli(pr.child));
				host_kills++;
			}
		} else if (procs_per_host > 1 && rng() % 80 == 0) {
			Host &h = hosts[rng() % nhosts];
			Proc &pr = h.procs[rng() % h.procs.size()];
			if (pr.running) {
				::kill(pr.child.pid, SIGKILL);
				reap(h, pr, test::wait_cli(pr.child));
				proc_kills++;
			}
		}
		for (auto &h : hosts) {
			if (rng() % 4 != 0 || elapsed() + 1 >= seconds)
				continue;
			if (!h.up())
				h.boot++; // all its processes are gone: it comes back as a new boot
			for (auto &pr : h.procs)
				if (!pr.running)
					start(h, pr, seconds - elapsed());
		}
	}
	for (auto &h : hosts)
		for (auto &pr : h.procs)
			if (pr.running)
				reap(h, pr, test::wait_cli(pr.child));
	check_once(*p, watch, checks);
	for (const auto &s : summaries)
		std::printf("  %s", s.c_str());
	std::printf("model seed %u: %u hosts x %u processes, %u s, %u host crashes, %u process kills, %u lost leases, "
		    "%u continuous checks\n",
		    seed, nhosts, procs_per_host, seconds, host_kills, proc_kills, lost_leases, checks);

	PoolFsckReport r = fsck_pool({pool, {}}, false);
	for (const auto &f : r.findings)
		if (f.kind == Finding::Problem)
			FAIL_CHECK("fsck: " << f.what);
	CHECK(r.ok());

	// Every host is gone now; every mount is reclaimable with --force once its host stood still
	// (sealed images, retired ones that a dead host still lists, loads quarantined on a host that
	// never showed they stopped), and every other leftover (WRITING of a writer its host saw
	// exit, RETIRED listed by nobody) is freed by the next writer: then the whole data area is
	// free again.
	auto w = Pool::open({pool, {}}, Access::ReadWrite);
	for (const auto &i : w->info(true).images) {
		if (i.state == State::Sealed || i.state == State::Retired) {
			w->unload(i.name, nullptr, true); // watches the hosts that list it stand still
			continue;
		}
		// A load interrupted on a host that never showed it stopped is quarantined: --force
		// reclaims it once that host stood still; one whose host did show it is freed anyway.
		try {
			w->unload(i.name, nullptr, true);
		} catch (const Error &e) {
			CHECK_THAT(e.what(), Catch::Contains("reclaimed automatically"));
		}
	}
	std::string probe = test::make_image(d, "probe", 1000, seed);
	w->load({probe, "probe", {}, nullptr}); // reclaims WRITING / RETIRED leftovers
	w->unload("probe");
	PoolInfo info = w->info(true);
	CHECK(info.images.empty());
	CHECK(info.space.free == info.size - info.data_off);
	CHECK(fsck_pool({pool, {}}, false).ok());
}

} // namespace

TEST_CASE("model: N hosts load, unload, mount, unmount and crash against one pool", "[pool][multihost]")
{
	const unsigned seconds = env_num("DAXPOOL_SOAK_SECONDS", 12), nhosts = env_num("DAXPOOL_SOAK_HOSTS", 4);
	const unsigned seed = env_num("DAXPOOL_SOAK_SEED", 1), procs = env_num("DAXPOOL_SOAK_PROCS", 2);
	model_run(seed, seconds, nhosts, procs);
}
