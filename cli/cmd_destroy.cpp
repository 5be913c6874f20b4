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
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("-f,--force", o->force, "destroy even if the pool holds images (never while any is mounted)");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		pool::require_root("destroy");
		pool::PoolRef ref = o->pool.ref();
		pool::DevicePool d = pool::find_device_pool(ref);
		pool::destroy_device_pool(d, o->force, say_step);
		if (!quiet())
			std::printf("destroyed pool %s (was %s, %s)\n", d.pool_name.c_str(), d.device.c_str(),
				    d.nd_region.c_str());
	});
}

} // namespace daxpool::cli
