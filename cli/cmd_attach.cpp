// SPDX-License-Identifier: GPL-2.0-only
// daxpool attach [--memdev M,...] [--json]: re-create this host's view of the pools in CXL /
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
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("--memdev,-m", o->memdevs, "try exactly these memdevs, in this order (default: every memdev without a region)")
		->delimiter(',');
	cmd->add_flag("--json,-j", o->json, "print JSON");
	cmd->add_flag("--human,-u", o->human, "human-readable sizes in JSON");
	cmd->callback([o] {
		pool::AttachOptions a;
		a.memdevs = o->memdevs;
		if (!o->json)
			a.say = [](const std::string &m) { std::printf("%s\n", m.c_str()); };
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
