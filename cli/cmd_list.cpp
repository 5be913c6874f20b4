// SPDX-License-Identifier: GPL-2.0-only
// daxpool list [--pool P | --region N] [-j] [-u] [-a]: a pool, or without one what this host sees.
// As `ndctl list`, -u (human sizes) implies JSON.
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "cli/pool_print.hpp"
#include "pool/pool.hpp"

namespace daxpool::cli {

void add_list(CLI::App &app)
{
	auto *cmd = app.add_subcommand("list", "show a pool (space, fragmentation, images); without a pool, the devices and pools this host sees");
	struct Opts {
		PoolOpts pool;
		bool json = false, human = false, all = false;
		std::string bus;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	auto *bus = add_bus_filter(cmd, o->bus);
	cmd->add_flag("-j,--json", o->json, "print JSON");
	cmd->add_flag("-u,--human", o->human, "JSON with human-readable sizes (implies --json, as ndctl list -u)");
	cmd->add_flag("-a,--all", o->all, "also images being written (or interrupted) and retired ones");
	add_verbosity(cmd, o->v);
	cmd->callback([o, bus] {
		set_verbosity(o->v);
		const bool json = o->json || o->human;
		if (!o->pool.given()) {
			print_topology(json, o->human, o->bus);
			return;
		}
		if (bus->count())
			throw CLI::ValidationError("--bus filters the devices list; a pool is named by --pool or --region alone");
		auto p = pool::Pool::open(o->pool.ref(), pool::Access::ReadOnly);
		pool::PoolInfo info = p->info(o->all);
		if (json) {
			Json j = pool_json(info, o->human);
			print(j.get());
		} else {
			print_pool_text(info, o->all);
		}
	});
}

} // namespace daxpool::cli
