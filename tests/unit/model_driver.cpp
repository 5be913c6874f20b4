// SPDX-License-Identifier: GPL-2.0-only
// The model test's driver (model_driver.hpp). Checked continuously, against what the driver
// knows to be true (not what the protocol believes):
//   - no two extents in force overlap and every entry's fields hold;
//   - every MOUNTED record of a host that is truly alive (its last beat, corrected by the
//     driver for that host's clock offset and frozen time, within lease + margin, in two host
//     table reads around the catalog read) names an image that is SEALED or RETIRED; a host
//     that was paused in this boot may have lost a mount only to an `unload --force` of it;
//   - every image whose load returned success and that nobody tried to unload is SEALED with
//     the uuid and digest its loader reported, and (one per round, all at the end) its bytes
//     are that image.
// The hosts check the rest themselves (model_host.cpp): their mounted images' bytes, one
// writer-role holder at a time, and (simulator) no store to the catalog or an extent by a
// process that is not the holder. At the end: fsck clean, a minimum of completed operations,
// and once every host expired, `--force` unloads and one load give back the whole data area.
#include "tests/unit/model_driver.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <optional>
#include <random>

#include "lib/daxfs/fsck.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fsck.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"
#include "tests/unit/model_ledger.hpp"
#include "tests/unit/pool_helpers.hpp"
#include "tests/unit/sim_memory.hpp"

using namespace daxpool::pool;

namespace model {

namespace {

using Clock = std::chrono::steady_clock;

unsigned env_num(const char *name, unsigned dflt)
{
	const char *v = std::getenv(name);
	return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : dflt;
}

// Lease short enough that killed hosts expire quickly, long enough that a busy 2-core machine
// does not miss beats (the driver counts lease losses; they are not violations).
constexpr uint32_t LEASE_MS = 800, MARGIN_MS = 300;
const std::map<std::string, std::string> timing = {{"DAXPOOL_LEASE_MS", std::to_string(LEASE_MS)},
						   {"DAXPOOL_MARGIN_MS", std::to_string(MARGIN_MS)},
						   {"DAXPOOL_HEARTBEAT_MS", "100"},
						   {"DAXPOOL_CLAIM_SETTLE_MS", "100"}};

struct Proc {
	test::Child child;
	bool running = false;
};

// A host: `procs` processes with one identity (a new boot id after each crash of the host).
struct Host {
	unsigned index = 0;
	unsigned boot = 0;
	std::vector<Proc> procs;
	int64_t offset_ms = 0;
	int64_t frozen_ns = 0;              // written to its freeze file
	bool paused_this_boot = false;
	std::optional<Clock::time_point> paused_since, resume_at;
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

void write_atomically(const std::string &path, const std::string &data)
{
	test::write_file(path + ".tmp", data);
	std::rename((path + ".tmp").c_str(), path.c_str());
}

std::string hex16(const uint8_t *b) { return daxpool::util::hex(std::span<const uint8_t>(b, 16)); }

// "" when the bytes of the sealed entry `e` are the image its loader reported (l).
std::string image_problem(Pool &p, const CatalogEntry &e, const Loaded &l)
{
	auto b = p.shared().view(e.offset, e.image_size);
	daxpool::daxfs::FsckReport r = daxpool::daxfs::fsck_bytes(b);
	if (!r.ok())
		return "its bytes are not a valid image";
	if (hex16(reinterpret_cast<const daxfs_super *>(b.data())->uuid) != l.uuid)
		return "its bytes carry another image's uuid";
	if (daxpool::util::hex(r.computed) != l.digest)
		return "its bytes have another digest";
	return "";
}

struct Driver {
	const Config &c;
	test::TempDir d;
	std::string pool = d / "p", witness = d / "witness", ledger = d / "ledger", paused = d / "paused",
		    simdir = d / "sim", unique = d / "unique";
	std::vector<std::string> images;
	std::unique_ptr<Pool> p;
	std::mt19937_64 rng;
	std::vector<Host> hosts;
	unsigned starts = 0, targeted = 0, host_kills = 0, proc_kills = 0, checks = 0, lost_leases = 0, pauses = 0, byte_checks = 0;
	size_t landed_words = 0, late_lines = 0, dead_caches = 0;
	std::deque<std::pair<Clock::time_point, daxpool::sim::DeadCache>> dead;
	std::vector<std::string> summaries;
	const Clock::time_point t0 = Clock::now();
	std::deque<std::string> events; // the last driver actions, for failure messages

	void event(const std::string &e)
	{
		char t[32];
		std::snprintf(t, sizeof t, "%.3f s ", elapsed());
		events.push_back(t + e);
		if (events.size() > 24)
			events.pop_front();
	}
	std::string recent() const
	{
		std::string s = "\nrecent driver events:";
		for (const auto &e : events)
			s += "\n  " + e;
		return s;
	}

	explicit Driver(const Config &cfg) : c(cfg), rng(cfg.seed) {}
	// A failed check ends the run: its hosts must not outlive it.
	~Driver()
	{
		for (auto &h : hosts)
			for (auto &pr : h.procs)
				if (pr.running) {
					::kill(pr.child.pid, SIGKILL);
					test::wait_cli(pr.child);
				}
	}
	Driver(const Driver &) = delete;
	Driver &operator=(const Driver &) = delete;
	double elapsed() const { return std::chrono::duration<double>(Clock::now() - t0).count(); }
	// How long the run goes on: c.seconds, extended (to 3 x at most) while the ledger shows fewer
	// completed operations than the floors ask for. The floors are there to prove the run
	// exercised the protocol; on a loaded machine the same seed completes fewer in c.seconds.
	double secs = 0;
	bool extend()
	{
		Ledger g = Ledger::read(ledger);
		if ((g.loads >= c.min_loads && g.mounts >= c.min_mounts && g.unloads >= c.min_unloads) ||
		    secs + 4 > 3.0 * c.seconds)
			return false;
		secs += 4;
		event("extended to " + std::to_string(static_cast<unsigned>(secs)) + " s: " + std::to_string(g.loads) +
		      " loads, " + std::to_string(g.mounts) + " mounts, " + std::to_string(g.unloads) + " unloads so far");
		return true;
	}
	std::string freeze_file(const Host &h) const
	{
		return d / ("freeze-h" + std::to_string(h.index) + "-b" + std::to_string(h.boot));
	}

	void start(Host &h, Proc &pr, double run_secs)
	{
		auto env = timing;
		env["DAXPOOL_MACHINE_ID"] = h.machine();
		env["DAXPOOL_BOOT_ID"] = h.boot_id();
		env["DAXPOOL_HOSTNAME"] = "h" + std::to_string(h.index);
		env["DAXPOOL_MODEL_LEDGER"] = ledger;
		env["DAXPOOL_MODEL_PAUSED"] = paused;
		if (h.offset_ms)
			env["DAXPOOL_TEST_CLOCK_OFFSET_MS"] = std::to_string(h.offset_ms);
		if (c.pauses) {
			if (!h.up() && !std::filesystem::exists(freeze_file(h)))
				write_atomically(freeze_file(h), "0");
			env["DAXPOOL_TEST_FREEZE_FILE"] = freeze_file(h);
		}
		if (c.sim) {
			env["DAXPOOL_SIM_DIR"] = simdir;
			env["DAXPOOL_SIM_SEED"] = std::to_string(c.seed);
		}
		if (c.unique_images)
			env["DAXPOOL_MODEL_UNIQUE_DIR"] = unique;
		std::vector<std::string> args = {"run", pool, std::to_string(c.seed * 100000 + starts++), std::to_string(run_secs),
						 witness};
		args.insert(args.end(), images.begin(), images.end());
		pr.child = test::spawn_exe(MODEL_HOST_EXE, args, env);
		pr.running = true;
		event("start h" + std::to_string(h.index) + " boot " + std::to_string(h.boot) + " pid " +
		      std::to_string(pr.child.pid));
	}

	// A process is gone: its verdict, and (simulator) what its cache still held.
	void reap(Host &h, Proc &pr, const test::Run &r)
	{
		pr.running = false;
		INFO("host h" << h.index << " boot " << h.boot << " pid " << pr.child.pid << " (seed " << c.seed << ", "
			      << elapsed() << " s): " << r.err << recent());
		REQUIRE(r.status != 3); // a violation
		if (r.status == 4) {
			lost_leases++;
			event("pid " + std::to_string(pr.child.pid) + " of h" + std::to_string(h.index) +
			      " lost its lease: " + r.err.substr(0, 300));
		}
		else if (r.signal != SIGKILL)
			REQUIRE(r.status == 0);
		if (r.status == 0)
			summaries.push_back(r.out);
		if (!c.sim)
			return;
		for (auto &dc : daxpool::sim::DeadCache::open_all(simdir, pr.child.pid, pool)) {
			// Its non-temporal stores in flight land (or not) now; its dirty lines whenever its
			// cache would have evicted them: within a few leases, often after its takeover.
			size_t w = dc.land_pending(rng);
			landed_words += w;
			event("pid " + std::to_string(pr.child.pid) + " died with " + std::to_string(dc.dirty_lines()) +
			      " dirty lines; " + std::to_string(w) + " words of its stores in flight landed");
			dead_caches++;
			auto due = Clock::now() + std::chrono::milliseconds(200 + rng() % 7800);
			dead.emplace_back(due, std::move(dc));
		}
	}

	void write_back_dead(bool all)
	{
		for (auto it = dead.begin(); it != dead.end();) {
			if (!all && it->first > Clock::now()) {
				++it;
				continue;
			}
			size_t n = it->second.write_back_dirty(rng);
			late_lines += n;
			if (n)
				event("wrote back " + std::to_string(n) + " dirty lines of a dead process");
			it = dead.erase(it);
		}
	}

	void poll_exits()
	{
		for (auto &h : hosts)
			for (auto &pr : h.procs) {
				int st = 0;
				if (!pr.running || ::waitpid(pr.child.pid, &st, WNOHANG) != pr.child.pid)
					continue;
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
	}

	void kill_host(Host &h)
	{
		event("crash h" + std::to_string(h.index));
		for (auto &pr : h.procs)
			if (pr.running)
				::kill(pr.child.pid, SIGKILL);
		for (auto &pr : h.procs)
			if (pr.running)
				reap(h, pr, test::wait_cli(pr.child));
		h.paused_since.reset();
		h.resume_at.reset();
		host_kills++;
	}

	// Simulator: waits (a little) for a process in the middle of storing image data and crashes
	// its host then: what it was storing lands at once or never, what it had in its cache later.
	void targeted_crash()
	{
		const auto until = Clock::now() + std::chrono::milliseconds(400);
		while (Clock::now() < until) {
			for (auto &h : hosts)
				for (auto &pr : h.procs)
					if (pr.running && !h.paused_since && daxpool::sim::storing_bulk(simdir, pr.child.pid)) {
						event("targeted crash of h" + std::to_string(h.index) + ": pid " +
						      std::to_string(pr.child.pid) + " is storing image data");
						kill_host(h);
						targeted++;
						return;
					}
			::usleep(1000);
		}
	}

	// The host of the process the witness names as the writer-role holder, if any.
	Host *holder_host()
	{
		long pid = 0;
		std::sscanf(test::read_file(witness).c_str(), "%ld", &pid);
		for (auto &h : hosts)
			for (auto &pr : h.procs)
				if (pr.running && pr.child.pid == pid)
					return &h;
		return nullptr;
	}

	bool storing(const Host &h) const
	{
		for (const auto &pr : h.procs)
			if (pr.running && daxpool::sim::storing_bulk(simdir, pr.child.pid))
				return true;
		return false;
	}

	// Until every process of h is stopped (SIGSTOP is asynchronous), at most 200 ms.
	void wait_stopped(const Host &h) const
	{
		const auto until = Clock::now() + std::chrono::milliseconds(200);
		for (bool all = false; !all && Clock::now() < until;) {
			all = true;
			for (const auto &pr : h.procs) {
				if (!pr.running)
					continue;
				std::ifstream f("/proc/" + std::to_string(pr.child.pid) + "/stat");
				std::string st;
				std::getline(f, st); // (procfs files have no size: read_file cannot read them)
				size_t r = st.rfind(')');
				all &= r == std::string::npos || r + 2 >= st.size() || st[r + 2] == 'T' || st[r + 2] == 'Z';
			}
			if (!all)
				::usleep(500);
		}
	}

	void pause(Host &h)
	{
		// A2 (docs/multihost.md): no stall between a check and the store that follows it. A
		// bulk store of image data is millions of them; unless pause_anywhere, a host is not
		// paused in one (a stop that finds one is undone at once, within microseconds).
		if (c.sim && !c.pause_anywhere && storing(h))
			return;
		std::string pids;
		for (auto &pr : h.procs)
			if (pr.running)
				pids += std::to_string(pr.child.pid) + "\n";
		// Named before they stop: whoever takes the role over from them may find them running.
		int fd = ::open(paused.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		REQUIRE(fd >= 0);
		(void)!::write(fd, pids.data(), pids.size());
		::close(fd);
		for (auto &pr : h.procs)
			if (pr.running)
				::kill(pr.child.pid, SIGSTOP);
		if (c.sim && !c.pause_anywhere) {
			wait_stopped(h);
			if (storing(h)) {
				for (auto &pr : h.procs)
					if (pr.running)
						::kill(pr.child.pid, SIGCONT);
				event("pause of h" + std::to_string(h.index) + " undone: it was storing image data");
				return;
			}
		}
		h.paused_since = Clock::now();
		h.resume_at = *h.paused_since + std::chrono::milliseconds((LEASE_MS + MARGIN_MS) * 6 / 5 + rng() % 800);
		h.paused_this_boot = true;
		pauses++;
		event("pause h" + std::to_string(h.index) + " (pids " + pids.substr(0, pids.size() - 1) + ")");
	}

	// Its clocks stood still over the pause: the freeze file grows by its length first.
	void resume(Host &h)
	{
		if (c.freeze) {
			h.frozen_ns +=
				std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - *h.paused_since).count();
			write_atomically(freeze_file(h), std::to_string(h.frozen_ns));
		}
		event("resume h" + std::to_string(h.index) + ", its clocks " + std::to_string(h.frozen_ns / 1000000) +
		      " ms behind");
		for (auto &pr : h.procs)
			if (pr.running)
				::kill(pr.child.pid, SIGCONT);
		h.paused_since.reset();
		h.resume_at.reset();
	}

	Host *host_of(const HostInfo &hi)
	{
		for (auto &h : hosts)
			if (hi.machine_id == h.machine() && hi.boot_id == h.boot_id())
				return &h;
		return nullptr;
	}

	// Alive in truth: up, not paused now, and its last beat (on the driver's clock) within lease
	// + margin.
	bool truly_alive(const HostInfo &hi, int64_t now)
	{
		Host *h = host_of(hi);
		if (!h || !h->up() || h->paused_since || hi.claim.state != uint32_t(ClaimState::Claimed))
			return false;
		// The driver knows every host's clock offset and frozen time: its stamp, corrected, is
		// the truth here (the protocol itself never compares stamps).
		int64_t beat = hi.stamped - h->offset_ms * 1000000 + h->frozen_ns;
		return now - beat <= (int64_t(hi.lease_ms) + hi.margin_ms) * 1000000;
	}

	void check_once(bool bytes_of_all)
	{
		Ledger g1 = Ledger::read(ledger);
		auto h1 = read_hosts(*p);
		int64_t now1 = realtime_ns();
		auto slots = p->catalog().snapshot();
		auto h2 = read_hosts(*p);
		int64_t now2 = realtime_ns();
		Ledger g2 = Ledger::read(ledger);
		checks++;
		std::vector<std::pair<uint64_t, uint64_t>> ext;
		std::map<uint64_t, const Slot *> by_id;
		for (const auto &s : slots) {
			REQUIRE_FALSE(s.damaged());
			if (!s.holds_space())
				continue;
			INFO("slot " << s.index << " '" << s.name() << "' (seed " << c.seed << ")");
			REQUIRE(check_entry_fields(s.entry, p->super()).empty());
			ext.emplace_back(s.entry.offset, s.entry.length);
			by_id[s.entry.id] = &s;
		}
		std::sort(ext.begin(), ext.end());
		for (size_t i = 1; i < ext.size(); i++) {
			INFO("extents [" << ext[i - 1].first << ", +" << ext[i - 1].second << ") and [" << ext[i].first << ", +"
					 << ext[i].second << ") (seed " << c.seed << ")");
			REQUIRE(ext[i - 1].first + ext[i - 1].second <= ext[i].first); // no overlapping extents
		}
		for (const auto &a : h1) {
			if (!truly_alive(a, now1))
				continue;
			for (const auto &b : h2) {
				if (b.slot != a.slot || !truly_alive(b, now2) || std::memcmp(&a.claim, &b.claim, sizeof a.claim) != 0)
					continue;
				for (const auto &m : a.mounts) {
					if (m.state != MountState::Mounted)
						continue;
					bool still = false;
					for (const auto &m2 : b.mounts)
						still |= m2.image_id == m.image_id && m2.mp_hash == m.mp_hash && m2.since == m.since;
					if (!still)
						continue;
					auto it = by_id.find(m.image_id);
					bool pinned = it != by_id.end() && (it->second->state() == State::Sealed ||
									   it->second->state() == State::Retired);
					if (!pinned && host_of(a)->paused_this_boot && g2.unload_forced.count(m.image_id))
						continue; // reclaimed with --force while the host was paused
					INFO("host " << a.hostname << " (alive, seed " << c.seed << ") has image id " << m.image_id
						     << " mounted at " << m.mountpoint << "; the catalog has it "
						     << (it == by_id.end() ? "FREE" : state_name(it->second->state())));
					REQUIRE(pinned); // no image lost while mounted by a live host
				}
			}
		}
		// Loads that returned success, never unloaded: there, sealed, the very image.
		std::vector<std::pair<uint64_t, const Slot *>> kept;
		for (const auto &[id, l] : g1.loaded) {
			if (g2.unload_tried.count(id))
				continue;
			auto it = by_id.find(id);
			INFO("image '" << l.name << "' (id " << id << ") was loaded (success reported) and never unloaded (seed "
				       << c.seed << ")");
			REQUIRE(it != by_id.end());
			REQUIRE(it->second->state() == State::Sealed);
			REQUIRE(hex16(it->second->entry.image_uuid) == l.uuid);
			REQUIRE(hex16(it->second->entry.digest) == l.digest);
			kept.emplace_back(id, it->second);
		}
		if (kept.empty())
			return;
		size_t from = bytes_of_all ? 0 : rng() % kept.size(), to = bytes_of_all ? kept.size() : from + 1;
		for (size_t i = from; i < to; i++) {
			const auto &[id, s] = kept[i];
			std::string why = image_problem(*p, s->entry, g1.loaded[id]);
			if (!why.empty() && Ledger::read(ledger).unload_tried.count(id))
				continue; // an unload started meanwhile: its extent may be reused now
			byte_checks++;
			INFO("image '" << g1.loaded[id].name << "' (id " << id << ", sealed at [" << s->entry.offset << ", +"
				       << s->entry.length << "), never unloaded; seed " << c.seed << "): " << why << recent());
			REQUIRE(why.empty());
		}
	}

	void setup()
	{
		std::filesystem::create_directories(simdir);
		std::filesystem::create_directories(unique);
		// Images of 1, 3 and 5 MiB (extents 2, 4, 6 MiB) into 40 MiB of data: full pools happen.
		images = {test::make_image(d, "s", 1 << 20, c.seed), test::make_image(d, "m", 3 << 20, c.seed + 1),
			  test::make_image(d, "l", 5 << 20, c.seed + 2)};
		create_file_pool({pool, 42 * MiB, "model", false});
		p = Pool::open({pool, {}}, Access::ReadOnly);
		hosts.resize(c.hosts);
		for (unsigned i = 0; i < c.hosts; i++) {
			hosts[i].index = i;
			hosts[i].procs.resize(c.procs);
			if (!c.clock_offsets_ms.empty())
				hosts[i].offset_ms = c.clock_offsets_ms[i % c.clock_offsets_ms.size()];
			for (auto &pr : hosts[i].procs)
				start(hosts[i], pr, secs);
		}
	}

	void round()
	{
		::usleep(static_cast<useconds_t>(20000 + rng() % 60000));
		check_once(false);
		poll_exits();
		write_back_dead(false);
		for (auto &h : hosts)
			if (h.resume_at && Clock::now() >= *h.resume_at)
				resume(h);
		// Now and then a host crashes (SIGKILL of all its processes: no clean-up of any kind)
		// and reboots later; more rarely one process of a host that lives on dies; with pauses,
		// a host stops past its lease and resumes with its clocks frozen meanwhile.
		if (rng() % 40 == 0) {
			Host &h = hosts[rng() % c.hosts];
			if (h.up())
				kill_host(h);
		} else if (c.sim && rng() % 20 == 0) {
			targeted_crash();
		} else if (c.procs > 1 && rng() % 80 == 0) {
			Host &h = hosts[rng() % c.hosts];
			Proc &pr = h.procs[rng() % h.procs.size()];
			if (pr.running) {
				event("kill pid " + std::to_string(pr.child.pid) + " of h" + std::to_string(h.index));
				::kill(pr.child.pid, SIGKILL);
				reap(h, pr, test::wait_cli(pr.child));
				proc_kills++;
			}
		} else if (c.pauses && rng() % 15 == 0) {
			// Half of the pauses hit the writer-role holder's host: takeovers of a live writer.
			Host *hp = rng() % 2 ? holder_host() : nullptr;
			Host &h = hp ? *hp : hosts[rng() % c.hosts];
			if (h.up() && !h.paused_since && elapsed() + 3 < secs)
				pause(h);
		}
		for (auto &h : hosts) {
			if (rng() % 4 != 0 || elapsed() + 1 >= secs || h.paused_since)
				continue;
			if (!h.up()) {
				h.boot++; // all its processes are gone: it comes back as a new boot
				h.frozen_ns = 0;
				h.paused_this_boot = false;
			}
			for (auto &pr : h.procs)
				if (!pr.running)
					start(h, pr, secs - elapsed());
		}
	}

	void finish()
	{
		for (auto &h : hosts)
			if (h.paused_since)
				resume(h);
		for (auto &h : hosts)
			for (auto &pr : h.procs)
				if (pr.running)
					reap(h, pr, test::wait_cli(pr.child));
		write_back_dead(true);
		check_once(true);
		for (const auto &s : summaries)
			std::printf("  %s", s.c_str());
		Ledger g = Ledger::read(ledger);
		std::printf("model seed %u%s%s%s: %u hosts x %u processes, %u s, %u host crashes (%u targeted), %u process kills, %u pauses, "
			    "%u lost leases, %u continuous checks, %u image byte checks; %u loads, %u unloads, %u mounts, "
			    "%zu mounts reclaimed after a pause, %u takeovers of a paused writer, %u entries over a running holder; simulator: %zu dead caches, %zu words landed at death, "
			    "%zu dirty lines written back later\n",
			    c.seed, c.sim ? " sim" : "", c.pauses ? " pauses" : "", c.clock_offsets_ms.empty() ? "" : " clock-offsets",
			    c.hosts, c.procs, static_cast<unsigned>(secs), host_kills, targeted, proc_kills, pauses, lost_leases, checks, byte_checks, g.loads,
			    g.unloads, g.mounts, g.reclaimed.size(), g.takeovers, g.stale_entries, dead_caches, landed_words, late_lines);
		INFO("seed " << c.seed << ": too few completed operations");
		CHECK(g.loads >= c.min_loads);
		CHECK(g.mounts >= c.min_mounts);
		CHECK(g.unloads >= c.min_unloads);

		PoolFsckReport r = fsck_pool({pool, {}}, false);
		for (const auto &f : r.findings)
			if (f.kind == Finding::Problem)
				FAIL_CHECK("fsck (seed " << c.seed << "): " << f.what);
		CHECK(r.ok());

		// Every host is gone now; every mount is reclaimable with --force once its host stood
		// still while watched (sealed images, retired ones that a dead host still lists, loads
		// quarantined on a host that never showed they stopped), and every other leftover
		// (WRITING of a writer its host saw exit, RETIRED listed by nobody) is freed by the next
		// writer: then the whole data area is free again.
		auto w = Pool::open({pool, {}}, Access::ReadWrite);
		for (const auto &i : w->info(true).images) {
			INFO("seed " << c.seed << ": final unload --force of '" << i.name << "' (" << state_name(i.state) << ")");
			if (i.state == State::Sealed || i.state == State::Retired) {
				CHECK_NOTHROW(w->unload(i.name, nullptr, true));
				continue;
			}
			try {
				w->unload(i.name, nullptr, true);
			} catch (const Error &e) {
				CHECK_THAT(e.what(), Catch::Contains("reclaimed automatically"));
			}
		}
		std::string probe = test::make_image(d, "probe", 1000, c.seed);
		w->load({probe, "probe", {}, nullptr}); // reclaims WRITING / RETIRED leftovers
		w->unload("probe");
		PoolInfo info = w->info(true);
		CHECK(info.images.empty());
		CHECK(info.space.free == info.size - info.data_off);
		CHECK(fsck_pool({pool, {}}, false).ok());
	}
};

} // namespace

Config from_env(Config c)
{
	c.seconds = env_num("DAXPOOL_SOAK_SECONDS", c.seconds);
	c.hosts = env_num("DAXPOOL_SOAK_HOSTS", c.hosts);
	c.seed = env_num("DAXPOOL_SOAK_SEED", c.seed);
	c.procs = env_num("DAXPOOL_SOAK_PROCS", c.procs);
	return c;
}

void run(const Config &c)
{
	Driver d(c);
	d.secs = c.seconds;
	d.setup();
	while (d.elapsed() < d.secs || d.extend())
		d.round();
	d.finish();
}

} // namespace model
