// SPDX-License-Identifier: GPL-2.0-only
// daxpool agent (--pool P | --region N) [--once] [--interval MS] [--lease MS] [--margin MS]
// This host's heartbeat in one pool (docs/multihost.md, "Heartbeat and liveness"): a foreground
// process, meant to run as a systemd service (Type=simple, Restart=always) while the host has
// images of the pool mounted. SIGTERM/SIGINT end it; with no mounts recorded it then marks the
// host as left. A device or file that holds no pool (none at the start, or the pool destroyed or
// wiped under it: no superblock copy carries the magic), or its memory removed under it (a fault
// in its mapping), ends it with one line and EXIT_NO_POOL, which the unit does not restart;
// every other failure is status 1 (restarted).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/pool_opts.hpp"
#include "pool/config.hpp"
#include "pool/error.hpp"
#include "pool/hosts.hpp"
#include "pool/mounts.hpp"
#include "pool/pool.hpp"

namespace daxpool::cli {

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// The pool's memory taken away under the agent: its namespace or CXL region removed (destroy
// stops daxpool-agent@.service first; not an agent started by hand), its file truncated. An
// access to the mapping then faults with BUS_ADRERR: the pool is gone, as for the check before
// a beat: one line, EXIT_NO_POOL. Any other SIGBUS (a memory failure: BUS_MCEERR_*) stays what
// it is. Only async-signal-safe work in the handler: the range and the line are set before it
// is installed (SigbusGuard) and cleared after it is removed.
std::atomic<uintptr_t> g_map_lo{0}, g_map_hi{0};
char g_vanished[512];
size_t g_vanished_len = 0;
static_assert(std::atomic<uintptr_t>::is_always_lock_free);

void on_sigbus(int sig, siginfo_t *si, void *)
{
	const auto a = reinterpret_cast<uintptr_t>(si->si_addr);
	if (si->si_code == BUS_ADRERR && a >= g_map_lo.load() && a < g_map_hi.load()) {
		(void)!::write(STDERR_FILENO, g_vanished, g_vanished_len);
		::_exit(EXIT_NO_POOL);
	}
	// SA_RESETHAND: the default action now. A fault the kernel raised for an instruction
	// (si_code > 0, but BUS_MCEERR_AO) happens again on return, with its own siginfo for the
	// core; one sent (kill, BUS_MCEERR_AO) is sent again.
	if (si->si_code > 0 && si->si_code != BUS_MCEERR_AO)
		return;
	const int e = errno;
	::raise(sig);
	errno = e;
}

// The handler above for the life of the pool's mapping (the range [lo, lo + len)).
class SigbusGuard {
public:
	SigbusGuard(const void *lo, size_t len, const std::string &line)
	{
		g_vanished_len = std::min(line.size(), sizeof(g_vanished));
		std::memcpy(g_vanished, line.data(), g_vanished_len);
		g_map_lo = reinterpret_cast<uintptr_t>(lo);
		g_map_hi = reinterpret_cast<uintptr_t>(lo) + len;
		struct sigaction bus {};
		bus.sa_sigaction = on_sigbus;
		bus.sa_flags = SA_SIGINFO | SA_RESETHAND;
		::sigaction(SIGBUS, &bus, nullptr);
	}
	~SigbusGuard()
	{
		struct sigaction dfl {};
		dfl.sa_handler = SIG_DFL;
		::sigaction(SIGBUS, &dfl, nullptr);
		g_map_lo = 0;
		g_map_hi = 0;
	}
	SigbusGuard(const SigbusGuard &) = delete;
	SigbusGuard &operator=(const SigbusGuard &) = delete;
};

// Nothing to beat in: one line (also with --quiet: it is why the agent ends), the distinct status.
[[noreturn]] void no_pool(const std::string &what)
{
	std::fflush(stdout);
	std::fprintf(stderr, "daxpool: agent: %s\n", what.c_str());
	throw ExitStatus(EXIT_NO_POOL, "");
}

} // namespace

void add_agent(CLI::App &app)
{
	auto *cmd = app.add_subcommand("agent", "beat this host's heartbeat in a pool (foreground; run it as a service)");
	struct Opts {
		PoolOpts pool;
		bool once = false;
		Verbosity v;
		uint32_t interval = 0, lease = 0, margin = 0;
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--once", o->once, "claim the slot, beat once and exit (tests)");
	cmd->add_option("--interval", o->interval, "milliseconds between beats (default: lease / 3; DAXPOOL_HEARTBEAT_MS)");
	cmd->add_option("--lease", o->lease, "lease in milliseconds that this host announces (default 15000; DAXPOOL_LEASE_MS)");
	cmd->add_option("--margin", o->margin, "margin in milliseconds for clock skew (default 5000; DAXPOOL_MARGIN_MS)");
	add_verbosity(cmd, o->v);
	cmd->footer("Exit status: 0 stopped (SIGTERM, SIGINT; --once: beat published), 1 error, 2 command-line (usage) "
		    "error, " + std::to_string(EXIT_NO_POOL) + " no pool on the device or file (none at the start, or "
		    "destroyed, wiped or its memory removed under the agent): daxpool-agent@.service does not restart it.\n");
	cmd->callback([o] {
		set_verbosity(o->v);
		// A bad line in daxpool.conf(.d) is skipped with a warning: the heartbeat must start.
		for (const auto &u : pool::host_config().unknown)
			warn(u + ": not a daxpool setting (ignored)");
		for (const auto &w : pool::host_config().warnings)
			warn(w);
		pool::Timing t = pool::Timing::from_env();
		if (o->lease) {
			t.lease_ms = o->lease;
			if (!o->interval && !pool::setting("DAXPOOL_HEARTBEAT_MS"))
				t.heartbeat_ms = std::max<uint32_t>(1, o->lease / 3);
		}
		if (o->margin)
			t.margin_ms = o->margin;
		if (o->interval)
			t.heartbeat_ms = o->interval;
		if (t.heartbeat_ms >= t.lease_ms)
			throw Error("--interval (" + std::to_string(t.heartbeat_ms) + " ms) must be shorter than the lease (" +
				    std::to_string(t.lease_ms) + " ms)");
		pool::PoolRef ref = o->pool.ref();
		std::unique_ptr<pool::Pool> p;
		try {
			p = pool::Pool::open(ref, pool::Access::ReadWrite);
		} catch (const pool::NotAPool &e) {
			if (e.damaged)
				throw; // a pool still, damaged: an error (fsck), restarted
			no_pool("no pool on " + ref.display() +
				" (no daxpool superblock: destroyed, wiped or never made); nothing to beat, stopped");
		}
		const std::string pool_desc = "pool '" + pool::super_name(p->super()) + "' (" + p->uuid() + ") on " + ref.display();
		// Before every beat and before leaving: the pool may have been destroyed (from this
		// host or another) or re-created under the agent. Then nothing more is written there.
		bool damaged_said = false;
		auto check_pool = [&] {
			switch (p->presence()) {
			case pool::Presence::Same:
				damaged_said = false;
				return;
			case pool::Presence::Gone:
				no_pool(pool_desc + " is gone (no daxpool superblock: destroyed or wiped); nothing to beat, stopped");
			case pool::Presence::Replaced:
				throw Error(pool_desc + " was replaced by another pool (re-created): this host's slot is not in it; "
							"stopped (run again to beat in the new pool)");
			case pool::Presence::Damaged:
				// Still the host table this host beats in, and perhaps images mounted: beat on.
				if (!damaged_said)
					warn("both superblocks of " + pool_desc + " are damaged (daxpool fsck --pool " +
					     ref.display() + "); beating on");
				damaged_said = true;
				return;
			}
		};
		struct sigaction sa {};
		sa.sa_handler = on_signal;
		::sigaction(SIGTERM, &sa, nullptr);
		::sigaction(SIGINT, &sa, nullptr);
		const auto map = p->backend().map();
		SigbusGuard bus(map.data(), map.size(),
				"daxpool: agent: the memory of " + pool_desc +
					" went away under the agent (its namespace or region removed, its file truncated); "
					"nothing to beat, stopped\n");
		auto s = pool::HostSession::claim(*p, t, static_cast<uint32_t>(::getpid()));
		// Records of mounts gone from this host (umount -i, a crash): removed at every beat.
		const auto dev = pool::device_pool_of(ref);
		auto tidy = [&] {
			try {
				for (auto &r : dev ? pool::reconcile_mounts(*dev, *s) : std::vector<std::string>{})
					std::printf("daxpool agent: removed the record of %s: not mounted on this host any more\n",
						    r.c_str());
			} catch (const std::exception &e) {
				std::fprintf(stderr, "daxpool agent: warning: mount records not checked: %s\n", e.what());
			}
			std::fflush(stdout);
		};
		tidy();
		if (o->once) {
			if (!quiet())
				std::printf("host slot %u of %s: heartbeat published (lease %u ms)\n", s->slot(),
					    ref.display().c_str(), t.lease_ms);
			return;
		}
		note("agent: host slot " + std::to_string(s->slot()) + " of " + ref.display() + ", a heartbeat every " +
		     std::to_string(t.heartbeat_ms) + " ms (lease " + std::to_string(t.lease_ms) + " ms, margin " +
		     std::to_string(t.margin_ms) + " ms)");
		while (!g_stop) {
			for (uint32_t slept = 0; slept < t.heartbeat_ms && !g_stop; slept += 20)
				::usleep(std::min<uint32_t>(20, t.heartbeat_ms - slept) * 1000);
			if (!g_stop) {
				check_pool();
				s->beat();
				tidy();
			}
		}
		check_pool();
		bool left = s->leave();
		note(std::string("agent: stopped; ") +
		     (left ? "no mounts recorded: this host has left the pool"
			   : "mounts are still recorded: other hosts see this host expire after its lease"));
	});
}

} // namespace daxpool::cli
