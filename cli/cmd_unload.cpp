// SPDX-License-Identifier: GPL-2.0-only
// daxpool unload NAME (--pool P | --region N)
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/pool_opts.hpp"
#include "lib/util/size.hpp"
#include "pool/pool.hpp"

namespace daxpool::cli {

void add_unload(CLI::App &app)
{
	auto *cmd = app.add_subcommand("unload", "retire an image and free its space");
	struct Opts {
		std::string name;
		PoolOpts pool;
		bool force = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("NAME", o->name, "image name")->required();
	add_pool_opts(cmd, o->pool);
	add_verbosity(cmd, o->v);
	cmd->add_flag("-f,--force", o->force,
		      "also when hosts whose heartbeat has expired (lease + margin) still list it as mounted");
	cmd->callback([o] {
		set_verbosity(o->v);
		pool::PoolRef ref = o->pool.ref();
		auto p = pool::Pool::open(ref, pool::Access::ReadWrite);
		std::vector<std::string> reclaimed;
		pool::ImageInfo img = p->unload(o->name, nullptr, o->force, &reclaimed);
		for (const auto &r : reclaimed)
			warn(r); // a forced reclaim of another host's mount: told even with --quiet
		if (!quiet())
			std::printf("unloaded '%s' (id %llu) from %s: %s freed\n", img.name.c_str(),
				    static_cast<unsigned long long>(img.id), ref.display().c_str(),
				    util::format_size(img.length).c_str());
	});
}

} // namespace daxpool::cli
