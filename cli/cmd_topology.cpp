// SPDX-License-Identifier: GPL-2.0-only
// daxpool topology [--json] [-u]: the CXL / NVDIMM / DAX devices this host can use.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_print.hpp"
#include "lib/util/size.hpp"
#include "pool/provision.hpp"
#include "pool/topology.hpp"

namespace daxpool::cli {

namespace {

void print_json(const Topology &t, const std::vector<pool::DevicePool> &devs, bool human)
{
	Json root = json_obj();
	Json memdevs = json_arr();
	for (const auto &m : t.memdevs) {
		Json o = json_obj();
		add(o.get(), "memdev", m.name);
		add(o.get(), "serial", m.serial);
		add_size(o.get(), "pmem_size", m.pmem_size, human);
		add_size(o.get(), "pmem_free", m.pmem_free, human);
		add(o.get(), "region", m.region);
		push(memdevs.get(), std::move(o));
	}
	add(root.get(), "memdevs", std::move(memdevs));
	Json decs = json_arr();
	for (const auto &d : t.root_decoders) {
		Json o = json_obj();
		add(o.get(), "decoder", d.name);
		add(o.get(), "pmem_capable", d.pmem);
		add_size(o.get(), "size", d.size, human);
		add_size(o.get(), "max_available_extent", d.available, human);
		push(decs.get(), std::move(o));
	}
	add(root.get(), "root_decoders", std::move(decs));
	Json regions = json_arr();
	for (const auto &r : t.cxl_regions) {
		Json o = json_obj();
		add(o.get(), "region", r.name);
		add(o.get(), "decoder", r.decoder);
		add_size(o.get(), "size", r.size, human);
		add(o.get(), "interleave_ways", r.ways);
		add(o.get(), "enabled", r.enabled);
		push(regions.get(), std::move(o));
	}
	add(root.get(), "cxl_regions", std::move(regions));
	Json nss = json_arr();
	for (const auto &n : t.namespaces) {
		Json o = json_obj();
		add(o.get(), "dev", n.name);
		add(o.get(), "mode", n.mode);
		add_size(o.get(), "size", n.size, human);
		if (!n.device.empty()) {
			add(o.get(), n.device.rfind("dax", 0) == 0 ? "chardev" : "blockdev", n.device);
			add(o.get(), "device", "/dev/" + n.device);
		}
		add(o.get(), "region", n.region);
		add(o.get(), "bus", n.bus);
		push(nss.get(), std::move(o));
	}
	add(root.get(), "namespaces", std::move(nss));
	Json pools = json_arr();
	for (const auto &d : devs)
		push(pools.get(), device_json(d, human));
	add(root.get(), "devices", std::move(pools));
	print(root.get());
}

void print_text(const Topology &t, const std::vector<pool::DevicePool> &devs)
{
	for (const auto &m : t.memdevs)
		std::printf("memdev    %-10s serial %#llx pmem %s, %s free%s%s\n", m.name.c_str(),
			    static_cast<unsigned long long>(m.serial), util::format_size(m.pmem_size).c_str(),
			    util::format_size(m.pmem_free).c_str(), m.region.empty() ? "" : ", in ", m.region.c_str());
	for (const auto &d : t.root_decoders)
		std::printf("decoder   %-10s %s window %s, %s available\n", d.name.c_str(), d.pmem ? "pmem" : "ram ",
			    util::format_size(d.size).c_str(), util::format_size(d.available).c_str());
	for (const auto &r : t.cxl_regions)
		std::printf("region    %-10s %s, %u-way, %s (root decoder %s)\n", r.name.c_str(),
			    util::format_size(r.size).c_str(), r.ways, r.enabled ? "enabled" : "disabled",
			    r.decoder.c_str());
	for (const auto &n : t.namespaces)
		std::printf("namespace %-14s %-7s %-8s %s (%s)\n", n.name.c_str(), n.mode.c_str(),
			    n.device.empty() ? "-" : n.device.c_str(), util::format_size(n.size).c_str(),
			    n.region.c_str());
	for (const auto &d : devs)
		print_device_text(d);
	if (t.memdevs.empty() && t.namespaces.empty())
		std::printf("no CXL memory devices and no NVDIMM namespaces found\n");
}

} // namespace

void print_topology(bool json, bool human, const std::string &bus)
{
	Topology t = read_topology();
	std::vector<pool::DevicePool> devs = pool::scan_devices();
	if (!bus.empty()) {
		if (bus != "cxl") {
			t.memdevs.clear();
			t.root_decoders.clear();
			t.cxl_regions.clear();
		}
		std::erase_if(t.namespaces, [&](const NamespaceInfo &n) { return n.bus != bus; });
		std::erase_if(devs, [&](const pool::DevicePool &d) { return d.bus != bus; });
	}
	if (json)
		print_json(t, devs, human);
	else
		print_text(t, devs);
}

CLI::Option *add_bus_filter(CLI::App *cmd, std::string &bus)
{
	return cmd->add_option("-b,--bus", bus, "only what is on this bus: cxl or nvdimm (as ndctl list -b)")
		->check(CLI::IsMember({"cxl", "nvdimm"}));
}

void add_topology(CLI::App &app)
{
	auto *cmd = app.add_subcommand("topology", "show the CXL / NVDIMM / DAX devices this host can use");
	struct Opts {
		bool json = false, human = false;
		std::string bus;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	add_bus_filter(cmd, o->bus);
	cmd->add_flag("-j,--json", o->json, "print JSON");
	cmd->add_flag("-u,--human", o->human, "JSON with human-readable sizes (implies --json, as ndctl list -u)");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		print_topology(o->json || o->human, o->human, o->bus);
	});
}

} // namespace daxpool::cli
