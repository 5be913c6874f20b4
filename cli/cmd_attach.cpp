// SPDX-License-Identifier: GPL-2.0-only
// daxpool attach [--memdev M,...] [-j [-u]]: re-create this host's view of the pools in CXL /
// NVDIMM memory after a boot (or on another host sharing the memory).
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_print.hpp"
#include "pool/provision.hpp"

namespace daxpool::cli {

void add_attach(CLI::App &app)
{
	auto *cmd = app.add_subcommand("attach", "re-create the regions of pools in CXL memory (after a boot, or on another host) and list the pools found");
	struct Opts {
		std::vector<std::string> memdevs;
		bool json = false, human = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("--memdev", o->memdevs, "try exactly these memdevs, in this order (default: every memdev without a region)")
		->delimiter(',');
	cmd->add_flag("-j,--json", o->json, "print the devices found as JSON");
	cmd->add_flag("-u,--human", o->human, "human-readable sizes in JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		pool::AttachOptions a;
		a.memdevs = o->memdevs;
		a.say = say_step;
		auto devs = pool::attach(a);
		if (o->json) {
			Json arr = json_arr();
			for (auto &d : devs)
				push(arr.get(), device_json(d, o->human));
			print(arr.get());
			return;
		}
		size_t pools = 0;
		for (auto &d : devs) {
			print_device_text(d);
			pools += !d.pool_name.empty();
		}
		if (!pools)
			std::printf("no daxpool pools found\n");
	});
}

} // namespace daxpool::cli
