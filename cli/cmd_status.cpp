// SPDX-License-Identifier: GPL-2.0-only
// daxpool status (--pool P | --region N) [--json]: the hosts of a pool (docs/multihost.md):
// liveness, heartbeat age, who holds (or waits for) the catalog writer role, what each has
// mounted. Read-only.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "cli/pool_print.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"

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
		bool json = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("-j,--json", o->json, "print JSON");
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
		auto hosts = pool::read_hosts(*p, now);
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
		if (o->json) {
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
				add(x.get(), "last_heartbeat", pool::format_time(h.last_beat));
				json_object_object_add(x.get(), "heartbeat_age_ms", json_object_new_int64((now - h.last_beat) / 1000000));
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
			std::printf("%s: %s, boot %.12s, heartbeat %.1f s ago at %s (lease %u ms, margin %u ms)%s%s%s\n",
				    h.describe().c_str(), pool::liveness_name(h.liveness), h.boot_id.c_str(),
				    double(now - h.last_beat) / 1e9, pool::format_time(h.last_beat).c_str(), h.lease_ms,
				    h.margin_ms, h.beat.agent_pid ? (", agent pid " + std::to_string(h.beat.agent_pid)).c_str() : "",
				    role(h).empty() ? "" : ", writer role: ", role(h).c_str());
			if (now - h.last_beat < -int64_t(h.margin_ms) * 1000000)
				std::printf("    its heartbeat is %.1f s in this host's future: the clocks disagree by more "
					    "than the margin (check NTP); liveness decisions are unsafe\n",
					    double(h.last_beat - now) / 1e9);
			for (const auto &m : h.mounts)
				std::printf("    %s '%s' (id %llu, generation %llu) at %s since %s\n", mount_state(m.state),
					    image_name(m.image_id).c_str(), static_cast<unsigned long long>(m.image_id),
					    static_cast<unsigned long long>(m.generation), m.mountpoint.c_str(),
					    pool::format_time(m.since).c_str());
		}
	});
}

} // namespace daxpool::cli
