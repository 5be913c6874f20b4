// SPDX-License-Identifier: GPL-2.0-only
// daxpool destroy (--region N | --pool NAME) [--force]: remove a device pool, its namespace and
// (CXL) its region.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/pool_opts.hpp"
#include "pool/provision.hpp"

namespace daxpool::cli {

void add_destroy(CLI::App &app)
{
	auto *cmd = app.add_subcommand("destroy", "remove a pool on a device with its namespace and CXL region");
	struct Opts {
		PoolOpts pool;
		bool force = false;
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--force", o->force, "destroy even if the pool holds images (never while any is mounted)");
	cmd->callback([o] {
		pool::require_root("destroy");
		pool::PoolRef ref = o->pool.ref();
		pool::DevicePool d = pool::find_device_pool(ref);
		pool::destroy_device_pool(d, o->force, [](const std::string &m) { std::printf("%s\n", m.c_str()); });
		std::printf("destroyed pool %s (was %s, region %u)\n", d.pool_name.c_str(), d.device.c_str(), d.region);
	});
}

} // namespace daxpool::cli
