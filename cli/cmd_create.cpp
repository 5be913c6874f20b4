// SPDX-License-Identifier: GPL-2.0-only
// daxpool create --size SIZE [-n NAME] [-m devdax|fsdax] [--memdev M,..] [-w WAYS] [-b cxl|nvdimm]
//                [-f] [-j [-u]]              provision CXL / NVDIMM memory and format a pool on it
// daxpool create --device /dev/daxX.Y|/dev/pmemN [-n NAME] [-f] [-j [-u]]   a pool on a device
//                                            the operator provisioned (cxl create-region, ndctl
//                                            create-namespace)
// daxpool create --file PATH --size SIZE [-n NAME] [-f] [-j [-u]]           a file-backed pool
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_print.hpp"
#include "lib/util/hex.hpp"
#include "lib/util/size.hpp"
#include "pool/create.hpp"
#include "pool/pool.hpp"
#include "pool/provision.hpp"

namespace daxpool::cli {

namespace {

struct Opts {
	std::string file, device, size, name, mode = "devdax", bus;
	std::vector<std::string> memdevs;
	unsigned ways = 0;
	bool force = false, json = false, human = false;
	Verbosity v;
};

void print_device_result(const Opts &o, const pool::DevicePool &d)
{
	if (o.json) {
		Json j = device_json(d, o.human);
		print(j.get());
	} else if (!quiet()) {
		std::printf("created pool %s on %s (%s): %s, uuid %s\n", d.pool_name.c_str(), d.device.c_str(),
			    d.nd_region.c_str(), util::format_size(d.pool_size).c_str(), d.pool_uuid.c_str());
	}
}

void create_device(const Opts &o, uint64_t size)
{
	pool::ProvisionOptions p;
	p.size = size;
	p.name = o.name;
	p.mode = o.mode == "fsdax" ? pool::DevMode::Fsdax : pool::DevMode::Devdax;
	p.memdevs = o.memdevs;
	p.ways = o.ways;
	p.bus = o.bus == "cxl" ? pool::Bus::Cxl : o.bus == "nvdimm" ? pool::Bus::Nvdimm : pool::Bus::Auto;
	p.force = o.force;
	p.say = say_step;
	print_device_result(o, pool::create_device_pool(p));
}

} // namespace

void add_create(CLI::App &app)
{
	auto *cmd = app.add_subcommand(
		"create", "provision CXL / NVDIMM memory and format a pool on it; or a pool on a device you "
			  "provisioned (--device), or a file-backed pool (--file)");
	auto o = std::make_shared<Opts>();
	auto *size = cmd->add_option("-s,--size", o->size,
				     "pool size, a multiple of 2 MiB (" + std::string(util::size_forms) +
					     "); not with --device (the device's size)");
	cmd->add_option("-n,--name", o->name, "pool name (default: the file name, or 'pool')");
	auto *mode = cmd->add_option("-m,--mode", o->mode, "the namespace's mode: devdax (default) or fsdax")
			     ->check(CLI::IsMember({"devdax", "fsdax"}));
	auto *memdev = cmd->add_option("--memdev", o->memdevs, "CXL: use these memdevs, in this order (comma-separated)")
			       ->delimiter(',');
	auto *ways = cmd->add_option("-w,--ways", o->ways, "CXL: interleave ways (default: the fewest memdevs that fit)")
			     ->check(CLI::IsMember({1u, 2u, 4u, 8u, 16u}));
	// The earlier spelling of --ways, kept for scripts; not in --help.
	auto *interleave = cmd->add_option("--interleave", o->ways)->check(CLI::IsMember({1u, 2u, 4u, 8u, 16u}))->group("");
	auto *bus = cmd->add_option("-b,--bus", o->bus, "provision on this bus only: cxl or nvdimm (default: CXL when present)")
			    ->check(CLI::IsMember({"cxl", "nvdimm"}));
	// The earlier --backend cxl|nvdimm|auto, kept for scripts; not in --help.
	auto *backend = cmd->add_option("--backend", o->bus)->check(CLI::IsMember({"auto", "cxl", "nvdimm"}))->group("");
	auto *device = cmd->add_option("--device", o->device,
				       "format a pool on this devdax or fsdax device (/dev/daxX.Y, /dev/pmemN), made with "
				       "cxl create-region and ndctl create-namespace");
	auto *file = cmd->add_option("--file", o->file, "create a file-backed pool at this path (development, tests)");
	file->excludes(device);
	cmd->add_flag("-f,--force", o->force, "overwrite an existing file, pool or filesystem");
	cmd->add_flag("-j,--json", o->json, "print the new pool as JSON");
	cmd->add_flag("-u,--human", o->human, "human-readable sizes in JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o, size, mode, memdev, ways, interleave, bus, backend, device, file] {
		set_verbosity(o->v);
		if (ways->count() && interleave->count())
			throw CLI::ValidationError("--ways and --interleave (its earlier name) are one option: give one");
		if (bus->count() && backend->count())
			throw CLI::ValidationError("--bus and --backend (its earlier name) are one option: give one");
		if (device->count()) {
			for (auto *opt : {size, mode, memdev, ways, interleave, bus, backend})
				if (opt->count())
					throw CLI::ValidationError(opt->get_name() + " is for provisioning; --device uses the "
									      "device as it is");
			print_device_result(*o, pool::create_pool_on_device(o->device, o->name, o->force, say_step));
			return;
		}
		if (!size->count())
			throw CLI::RequiredError("--size (or --device)");
		util::SizeParse sz = util::parse_size_ex(o->size);
		if (!sz)
			throw Error(util::size_error("--size", o->size, sz));
		if (!file->count()) {
			create_device(*o, sz.value);
			return;
		}
		for (auto *opt : {mode, memdev, ways, interleave, bus, backend})
			if (opt->count())
				throw CLI::ValidationError(opt->get_name() + " is for pools on devices, not with --file");
		if (auto why = pool::check_pool_size(sz.value); !why.empty())
			throw Error("--size '" + o->size + "': " + why);
		pool::CreateResult r = pool::create_file_pool({o->file, sz.value, o->name, o->force});
		if (o->json) {
			// The same object as `daxpool list --pool FILE --json`.
			auto p = pool::Pool::open(pool::PoolRef{o->file, {}}, pool::Access::ReadOnly);
			Json j = pool_json(p->info(false), o->human);
			print(j.get());
		} else if (!quiet()) {
			std::printf("created pool %s in %s: %s, uuid %s, room for %llu images\n", r.name.c_str(),
				    o->file.c_str(), util::format_size(r.size).c_str(), util::format_uuid(r.uuid).c_str(),
				    static_cast<unsigned long long>(r.catalog_slots));
		}
	});
}

} // namespace daxpool::cli
