// SPDX-License-Identifier: GPL-2.0-only
// daxpool agent (--pool P | --region N) [--once] [--interval MS] [--lease MS] [--margin MS]
// This host's heartbeat in one pool (docs/multihost.md, "Heartbeat and liveness"): a foreground
// process, meant to run as a systemd service (Type=simple, Restart=always) while the host has
// images of the pool mounted. SIGTERM/SIGINT end it; with no mounts recorded it then marks the
// host as left.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.hpp"
#include "cli/pool_opts.hpp"
#include "pool/config.hpp"
#include "pool/hosts.hpp"
#include "pool/mounts.hpp"
#include "pool/pool.hpp"

namespace daxpool::cli {

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

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
		auto p = pool::Pool::open(ref, pool::Access::ReadWrite);
		struct sigaction sa {};
		sa.sa_handler = on_signal;
		::sigaction(SIGTERM, &sa, nullptr);
		::sigaction(SIGINT, &sa, nullptr);
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
				s->beat();
				tidy();
			}
		}
		bool left = s->leave();
		note(std::string("agent: stopped; ") +
		     (left ? "no mounts recorded: this host has left the pool"
			   : "mounts are still recorded: other hosts see this host expire after its lease"));
	});
}

} // namespace daxpool::cli
