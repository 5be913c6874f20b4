// SPDX-License-Identifier: GPL-2.0-only
// daxpool create --size SIZE [--name N] [--mode devdax|fsdax] [--memdev M,..] [--interleave W]
//                [--backend cxl|nvdimm] [--force] [--json]      (a pool on CXL / NVDIMM memory)
// daxpool create --file PATH --size SIZE [--name N] [--force] [--json]   (a file-backed pool)
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_print.hpp"
#include "pool/provision.hpp"
#include "lib/util/size.hpp"
#include "pool/create.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::cli {

namespace {

template <typename O> void create_device(const O &o, uint64_t size)
{
	pool::ProvisionOptions p;
	p.size = size;
	p.name = o.name;
	p.mode = o.mode == "fsdax" ? pool::DevMode::Fsdax : pool::DevMode::Devdax;
	p.memdevs = o.memdevs;
	p.ways = o.ways;
	p.bus = o.backend == "cxl" ? pool::Bus::Cxl : o.backend == "nvdimm" ? pool::Bus::Nvdimm : pool::Bus::Auto;
	p.force = o.force;
	if (!o.json)
		p.say = [](const std::string &m) { std::printf("%s\n", m.c_str()); };
	pool::DevicePool d = pool::create_device_pool(p);
	if (o.json) {
		Json j = device_json(d, o.human);
		print(j.get());
	} else {
		std::printf("created pool %s on %s (region %u): %s, uuid %s\n", d.pool_name.c_str(), d.device.c_str(),
			    d.region, util::format_size(d.pool_size).c_str(), d.pool_uuid.c_str());
	}
}

} // namespace

void add_create(CLI::App &app)
{
	auto *cmd = app.add_subcommand("create", "provision CXL / NVDIMM memory and format a pool on it (a file-backed pool with --file)");
	struct Opts {
		std::string file, size, name, mode = "devdax", backend = "auto";
		std::vector<std::string> memdevs;
		unsigned ways = 0;
		bool force = false, json = false, human = false;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("--file,-f", o->file, "create a file-backed pool at this path");
	cmd->add_option("--size,-s", o->size, "pool size, a multiple of 2 MiB (" + std::string(util::size_forms) + ")")
		->required();
	cmd->add_option("--name,-n", o->name, "pool name (default: the file name, or 'pool')");
	auto *mode = cmd->add_option("--mode,-m", o->mode, "device pools: devdax (default) or fsdax")
			     ->check(CLI::IsMember({"devdax", "fsdax"}));
	auto *memdev = cmd->add_option("--memdev", o->memdevs, "CXL: use these memdevs, in this order (comma-separated)")
			       ->delimiter(',');
	auto *ways = cmd->add_option("--interleave,-w", o->ways, "CXL: interleave ways (default: the fewest memdevs that fit)")
			     ->check(CLI::IsMember({1u, 2u, 4u, 8u, 16u}));
	auto *backend = cmd->add_option("--backend,-b", o->backend, "cxl, nvdimm, or auto (CXL when present)")
				->check(CLI::IsMember({"auto", "cxl", "nvdimm"}));
	cmd->add_flag("--force", o->force, "overwrite an existing file, pool or filesystem");
	cmd->add_flag("--json,-j", o->json, "print JSON");
	cmd->add_flag("--human,-u", o->human, "human-readable sizes in JSON");
	cmd->callback([o, mode, memdev, ways, backend] {
		util::SizeParse size = util::parse_size_ex(o->size);
		if (!size)
			throw Error(util::size_error("--size", o->size, size));
		if (o->file.empty()) {
			create_device(*o, size.value);
			return;
		}
		for (auto *opt : {mode, memdev, ways, backend})
			if (opt->count())
				throw Error(opt->get_name() + " is for pools on devices, not with --file");
		if (auto why = pool::check_pool_size(size.value); !why.empty())
			throw Error("--size '" + o->size + "': " + why);
		pool::CreateResult r = pool::create_file_pool({o->file, size.value, o->name, o->force});
		if (o->json) {
			Json root = json_obj();
			add(root.get(), "pool", r.name);
			add(root.get(), "file", o->file);
			add(root.get(), "uuid", util::format_uuid(r.uuid));
			add_size(root.get(), "size", r.size, o->human);
			add(root.get(), "catalog_slots", r.catalog_slots);
			print(root.get());
		} else {
			std::printf("created pool %s in %s: %s, uuid %s, room for %llu images\n", r.name.c_str(), o->file.c_str(),
				    util::format_size(r.size).c_str(), util::format_uuid(r.uuid).c_str(),
				    static_cast<unsigned long long>(r.catalog_slots));
		}
	});
}

} // namespace daxpool::cli
