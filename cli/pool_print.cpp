// SPDX-License-Identifier: GPL-2.0-only
#include "cli/pool_print.hpp"


#include <cstdio>

#include "cli/commands.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/util/size.hpp"
#include "lib/util/hex.hpp"
#include "lib/util/time.hpp"

namespace daxpool::cli {

namespace {

std::string iso_time(int64_t t) { return util::format_utc(t); }

} // namespace

std::string digest_hex(const pool::ImageInfo &img) { return util::hex(img.digest); }

Json image_json(const pool::ImageInfo &img, bool human)
{
	Json o = json_obj();
	add(o.get(), "name", img.name);
	add(o.get(), "id", img.id);
	add(o.get(), "state", pool::state_name(img.state));
	add(o.get(), "generation", img.generation);
	add_size(o.get(), "size", img.image_size, human);
	add_size(o.get(), "extent_size", img.length, human);
	add(o.get(), "offset", img.offset);
	add(o.get(), "uuid", util::format_uuid(img.uuid));
	add(o.get(), "digest", "xxh3-128:" + digest_hex(img));
	add(o.get(), "created", iso_time(img.created));
	add(o.get(), "changed", iso_time(img.changed));
	add(o.get(), "writer", writer_json(img.writer_host, img.writer_boot, img.writer_pid));
	add(o.get(), "slot", static_cast<uint64_t>(img.slot));
	if (!img.automount.empty())
		add(o.get(), "automount", img.automount);
	if (img.automount_unreadable)
		add(o.get(), "automount_unreadable", true);
	return o;
}

Json writer_json(const std::string &machine_id, const std::string &boot_id, uint32_t pid)
{
	Json w = json_obj();
	add(w.get(), "machine_id", machine_id);
	if (!boot_id.empty())
		add(w.get(), "boot_id", boot_id);
	add(w.get(), "pid", static_cast<uint64_t>(pid));
	return w;
}

Json pool_json(const pool::PoolInfo &p, bool human)
{
	Json o = json_obj();
	add(o.get(), "pool", p.name);
	add(o.get(), "uuid", util::format_uuid(p.uuid));
	add(o.get(), "source", p.source);
	add_size(o.get(), "size", p.size, human);
	add_size(o.get(), "data_size", p.space.total, human);
	add_size(o.get(), "available_size", p.space.free, human);
	add_size(o.get(), "max_available_extent", p.space.largest_free, human);
	add(o.get(), "free_extents", static_cast<uint64_t>(p.space.free_extents));
	add(o.get(), "fragmentation_percent", static_cast<uint64_t>(p.space.fragmentation));
	add(o.get(), "catalog_slots", static_cast<uint64_t>(p.catalog_slots));
	add(o.get(), "catalog_used", static_cast<uint64_t>(p.catalog_used));
	if (p.damaged_slots)
		add(o.get(), "damaged_slots", static_cast<uint64_t>(p.damaged_slots));
	if (!p.superblock_problems.empty()) {
		Json a = json_arr();
		for (const auto &s : p.superblock_problems)
			json_object_array_add(a.get(), json_object_new_string(s.c_str()));
		add(o.get(), "superblock_problems", std::move(a));
	}
	Json imgs = json_arr();
	for (const auto &i : p.images)
		push(imgs.get(), image_json(i, human));
	add(o.get(), "images", std::move(imgs));
	return o;
}

void print_pool_text(const pool::PoolInfo &p, bool all)
{
	using util::format_size;
	std::printf("pool %s (uuid %s) on %s\n", p.name.c_str(), util::format_uuid(p.uuid).c_str(), p.source.c_str());
	std::printf("size %s, data %s, free %s, largest free extent %s, %u free extent(s), fragmentation %u%%\n",
		    format_size(p.size).c_str(), format_size(p.space.total).c_str(), format_size(p.space.free).c_str(),
		    format_size(p.space.largest_free).c_str(), p.space.free_extents, p.space.fragmentation);
	for (const auto &s : p.superblock_problems)
		warn(s + " (run daxpool fsck --repair)");
	if (p.damaged_slots)
		warn(std::to_string(p.damaged_slots) + " damaged catalog slot(s) (run daxpool fsck --repair)");
	if (p.images.empty()) {
		std::printf("no %simages\n", all ? "" : "sealed ");
		return;
	}
	std::printf("%-6s %-24s %-8s %12s %14s  %s\n", "ID", "NAME", "STATE", "SIZE", "OFFSET", "DIGEST (xxh3-128)");
	for (const auto &i : p.images)
		std::printf("%-6llu %-24s %-8s %12s %#14llx  %s\n", static_cast<unsigned long long>(i.id), i.name.c_str(),
			    pool::state_name(i.state), format_size(i.image_size).c_str(),
			    static_cast<unsigned long long>(i.offset), digest_hex(i).c_str());
}

Json device_json(const pool::DevicePool &d, bool human)
{
	Json o = json_obj();
	add(o.get(), "dev", d.ns);
	add(o.get(), "mode", d.mode);
	add_size(o.get(), "size", d.dev_size, human);
	std::string base = d.device.substr(d.device.find_last_of('/') + 1);
	add(o.get(), d.mode == "fsdax" ? "blockdev" : "chardev", base);
	add(o.get(), "device", d.device);
	add(o.get(), "region", d.nd_region);
	add(o.get(), "bus", d.bus);
	if (!d.cxl_region.empty()) {
		add(o.get(), "cxl_region", d.cxl_region);
		Json m = json_arr();
		for (auto &n : d.memdevs)
			json_object_array_add(m.get(), json_object_new_string(n.c_str()));
		add(o.get(), "memdevs", std::move(m));
		add(o.get(), "interleave_ways", d.ways);
	}
	add(o.get(), "system_ram", d.system_ram);
	if (!d.pool_name.empty()) {
		add(o.get(), "pool", d.pool_name);
		add(o.get(), "pool_uuid", d.pool_uuid);
		add_size(o.get(), "pool_size", d.pool_size, human);
	} else {
		add(o.get(), "problem", d.pool_problem);
	}
	return o;
}

void print_device_text(const pool::DevicePool &d)
{
	if (!d.pool_name.empty())
		std::printf("pool      %-14s %-8s %-12s %s, uuid %s\n", d.pool_name.c_str(), d.nd_region.c_str(), d.device.c_str(),
			    util::format_size(d.pool_size).c_str(), d.pool_uuid.c_str());
	else
		std::printf("device    %-14s %-8s %s\n", d.device.c_str(), d.nd_region.c_str(), d.pool_problem.c_str());
}

} // namespace daxpool::cli
