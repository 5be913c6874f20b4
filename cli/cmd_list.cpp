// SPDX-License-Identifier: GPL-2.0-only
// daxpool list (--pool P | --region N) [--json] [-u] [--all]
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
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--json,-j", o->json, "print JSON");
	cmd->add_flag("--human,-u", o->human, "human-readable sizes in JSON");
	cmd->add_flag("--all,-a", o->all, "also images being written (or interrupted) and retired ones");
	cmd->callback([o] {
		if (o->pool.path.empty() && !o->pool.region_opt->count()) {
			print_topology(o->json, o->human);
			return;
		}
		auto p = pool::Pool::open(o->pool.ref(), pool::Access::ReadOnly);
		pool::PoolInfo info = p->info(o->all);
		if (o->json) {
			Json j = pool_json(info, o->human);
			print(j.get());
		} else {
			print_pool_text(info, o->all);
		}
	});
}

} // namespace daxpool::cli
