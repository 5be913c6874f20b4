// SPDX-License-Identifier: GPL-2.0-only
// daxpool status (--pool P | --region N) [--json] [--watch MS]: the hosts of a pool
// (docs/multihost.md): liveness as this host sees it change (it watches the heartbeats for about
// one heartbeat interval), who holds (or waits for) the catalog writer role, what each has
// mounted, and per image how many live hosts have it mounted and what private copies on each
// would have cost (pool/sharing.hpp). Read-only.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "cli/pool_print.hpp"
#include "lib/util/size.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"
#include "pool/sharing.hpp"

namespace daxpool::cli {

namespace {

const char *mount_state(pool::MountState s) { return s == pool::MountState::Pending ? "pending" : "mounted"; }

std::string op_of(const pool::HostTicket &t) { return std::string(t.op, strnlen(t.op, sizeof t.op)); }

} // namespace

void add_status(CLI::App &app)
{
	auto *cmd = app.add_subcommand("status", "show the hosts of a pool: liveness, writer role, mounts");
	struct Opts {
		PoolOpts pool;
		bool json = false, human = false;
		int64_t watch_ms = -1;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("-j,--json", o->json, "print JSON");
	cmd->add_flag("-u,--human", o->human, "JSON with human-readable sizes (implies --json, as ndctl list -u)");
	cmd->add_option("--watch", o->watch_ms,
			"how long to watch the heartbeats, in ms (default: the longest heartbeat interval the hosts "
			"announce + 1 s, less once every host has beaten; 0: do not watch, every host shows as silent)")
		->check(CLI::Range(int64_t(0), int64_t(3600000)));
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		pool::PoolRef ref = o->pool.ref();
		auto p = pool::Pool::open(ref, pool::Access::ReadOnly);
		pool::PoolInfo info = p->info(true);
		std::map<uint64_t, std::string> names;
		for (const auto &i : info.images)
			names[i.id] = i.name + (i.state == pool::State::Sealed ? "" : std::string(" (") + pool::state_name(i.state) + ")");
		const int64_t now = pool::realtime_ns();
		// Liveness by observed change: no clock of another host is compared with ours.
		pool::Watch watch;
		auto hosts = watch.look(*p);
		int64_t limit = o->watch_ms;
		if (limit < 0) {
			limit = 0;
			for (const auto &h : hosts)
				if (!h.left())
					limit = std::max<int64_t>(limit, int64_t(h.heartbeat_ms) + 1000);
		}
		while (watch.watched_ns() < limit * 1000000 &&
		       std::any_of(hosts.begin(), hosts.end(), [](const auto &h) { return h.liveness == pool::Liveness::Silent; })) {
			struct timespec ts = {0, 100 * 1000000};
			::nanosleep(&ts, nullptr);
			hosts = watch.look(*p);
		}
		// The writer role: the alive ticket lowest in (ticket, slot) order holds it (or is about
		// to enter); the other alive tickets wait.
		const pool::HostInfo *holder = nullptr;
		for (const auto &h : hosts)
			if (h.ticket_alive && h.ticket.ticket && !h.ticket.choosing &&
			    (!holder || h.ticket.ticket < holder->ticket.ticket ||
			     (h.ticket.ticket == holder->ticket.ticket && h.slot < holder->slot)))
				holder = &h;
		auto role = [&](const pool::HostInfo &h) -> std::string {
			if (!h.ticket_alive)
				return "";
			return &h == holder ? "holds" : h.ticket.choosing ? "choosing" : "waiting";
		};
		auto image_name = [&](uint64_t id) {
			auto it = names.find(id);
			return it == names.end() ? std::string("(not in the catalog)") : it->second;
		};
		const auto sharing = pool::image_sharing(info.images, hosts);
		if (o->json || o->human) {
			Json j = json_obj();
			add(j.get(), "pool", info.name);
			add(j.get(), "uuid", p->uuid());
			add(j.get(), "source", info.source);
			add(j.get(), "now", pool::format_time(now));
			if (holder) {
				Json w = writer_json(holder->machine_id, holder->boot_id, holder->ticket.pid);
				add(w.get(), "slot", holder->slot);
				add(w.get(), "hostname", holder->hostname);
				add(w.get(), "op", op_of(holder->ticket));
				add(w.get(), "since", pool::format_time(holder->ticket.since));
				add(j.get(), "writer", std::move(w));
			} else {
				json_object_object_add(j.get(), "writer", nullptr);
			}
			Json arr = json_arr();
			for (const auto &h : hosts) {
				Json x = json_obj();
				add(x.get(), "slot", h.slot);
				add(x.get(), "hostname", h.hostname);
				add(x.get(), "machine_id", h.machine_id);
				add(x.get(), "boot_id", h.boot_id);
				add(x.get(), "state", pool::liveness_name(h.liveness));
				add(x.get(), "alive", pool::alive(h.liveness));
				// Stamped by that host's own clock: shown, never compared with ours.
				add(x.get(), "last_heartbeat", pool::format_time(h.stamped));
				json_object_object_add(x.get(), "heartbeat_counter", json_object_new_int64(int64_t(h.beat.counter)));
				json_object_object_add(x.get(), "heartbeat_still_ms", json_object_new_int64(h.still_ns / 1000000));
				json_object_object_add(x.get(), "watched_ms", json_object_new_int64(watch.watched_ns() / 1000000));
				add(x.get(), "lease_ms", h.lease_ms);
				add(x.get(), "margin_ms", h.margin_ms);
				add(x.get(), "agent_pid", h.beat.agent_pid);
				if (h.ticket_alive) {
					Json w = writer_json(h.machine_id, h.boot_id, h.ticket.pid);
					add(w.get(), "role", role(h));
					add(w.get(), "ticket", h.ticket.ticket);
					add(w.get(), "op", op_of(h.ticket));
					add(x.get(), "writer", std::move(w));
				} else {
					json_object_object_add(x.get(), "writer", nullptr);
				}
				Json ms = json_arr();
				for (const auto &m : h.mounts) {
					Json y = json_obj();
					add(y.get(), "image_id", m.image_id);
					add(y.get(), "generation", m.generation);
					add(y.get(), "name", image_name(m.image_id));
					add(y.get(), "state", mount_state(m.state));
					add(y.get(), "mountpoint", m.mountpoint);
					add(y.get(), "since", pool::format_time(m.since));
					push(ms.get(), std::move(y));
				}
				add(x.get(), "mounts", std::move(ms));
				push(arr.get(), std::move(x));
			}
			add(j.get(), "hosts", std::move(arr));
			Json imgs = json_arr();
			for (const auto &s : sharing) {
				Json x = json_obj();
				add(x.get(), "name", s.name);
				add(x.get(), "id", s.id);
				add_size(x.get(), "size", s.size, o->human);
				add(x.get(), "mounted_hosts", s.mounted_hosts());
				Json on = json_arr();
				for (const auto &n : s.hostnames)
					push(on.get(), Json(json_object_new_string(n.c_str())));
				add(x.get(), "mounted_on", std::move(on));
				add_size(x.get(), "private_copies_size", s.private_copies_size(), o->human);
				add_size(x.get(), "saved_size", s.saved_size(), o->human);
				push(imgs.get(), std::move(x));
			}
			add(j.get(), "images", std::move(imgs));
			add_size(j.get(), "saved_size", pool::total_saved(sharing), o->human);
			print(j.get());
			return;
		}
		std::printf("pool '%s' (%s), %s\n", info.name.c_str(), p->uuid().c_str(), info.source.c_str());
		if (holder)
			std::printf("writer role: %s, pid %u, %s since %s\n", holder->describe().c_str(), holder->ticket.pid,
				    op_of(holder->ticket).c_str(), pool::format_time(holder->ticket.since).c_str());
		else
			std::printf("writer role: free\n");
		if (hosts.empty())
			std::printf("no hosts have joined this pool\n");
		for (const auto &h : hosts) {
			std::string seen = h.liveness == pool::Liveness::Beating ? "its heartbeat advanced while watched"
					   : h.liveness == pool::Liveness::Left ? "left the pool"
					   : "its heartbeat stood still for " + std::to_string(h.still_ns / 1000000) + " ms while watched";
			std::printf("%s: %s (%s), boot %.12s, %s (lease %u ms, margin %u ms)%s%s%s\n", h.describe().c_str(),
				    pool::liveness_name(h.liveness), seen.c_str(), h.boot_id.c_str(), h.stamp_text().c_str(),
				    h.lease_ms, h.margin_ms,
				    h.beat.agent_pid ? (", agent pid " + std::to_string(h.beat.agent_pid)).c_str() : "",
				    role(h).empty() ? "" : ", writer role: ", role(h).c_str());
			for (const auto &m : h.mounts)
				std::printf("    %s '%s' (id %llu, generation %llu) at %s since %s\n", mount_state(m.state),
					    image_name(m.image_id).c_str(), static_cast<unsigned long long>(m.image_id),
					    static_cast<unsigned long long>(m.generation), m.mountpoint.c_str(),
					    pool::format_time(m.since).c_str());
		}
		// Memory saved: one copy in the pool instead of one per host (docs/multihost.md).
		for (const auto &s : sharing) {
			std::string sz = util::format_size(s.size);
			if (!s.mounted_hosts())
				std::printf("image '%s' (%s): not mounted by a live host\n", s.name.c_str(), sz.c_str());
			else
				std::printf("image '%s' (%s): mounted by %u live host(s), one shared copy; private copies "
					    "would cost %s, saved %s\n",
					    s.name.c_str(), sz.c_str(), s.mounted_hosts(),
					    util::format_size(s.private_copies_size()).c_str(),
					    util::format_size(s.saved_size()).c_str());
		}
		std::printf("memory saved: %s\n", util::format_size(pool::total_saved(sharing)).c_str());
	});
}

} // namespace daxpool::cli
