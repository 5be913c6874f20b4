// SPDX-License-Identifier: GPL-2.0-only
// nd regions and namespaces through libndctl / libdaxctl: labels, devdax / fsdax namespaces with
// struct pages in host RAM, and the scan of every DAX device for pools.
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/pool.hpp"
#include "pool/probe.hpp"
#include "pool/provision_steps.hpp"
#include "pool/shmem.hpp"
#include "lib/format/daxfs_format.h"

namespace daxpool::pool::prov {

namespace {

std::string read_link_name(const std::string &path)
{
	char buf[PATH_MAX];
	ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
	if (n <= 0)
		return "";
	buf[n] = 0;
	const char *s = std::strrchr(buf, '/');
	return s ? s + 1 : buf;
}

} // namespace

ndctl_region *nd_region_by_resource(ndctl_ctx *ctx, uint64_t res)
{
	return nd_region_where(ctx, [&](ndctl_region *r) { return ndctl_region_get_resource(r) == res && ndctl_region_is_enabled(r); });
}

ndctl_region *nd_region_by_id(ndctl_ctx *ctx, unsigned id)
{
	return nd_region_where(ctx, [&](ndctl_region *r) { return ndctl_region_get_id(r) == id; });
}

// Label-less NVDIMM regions (a raw "IO" namespace over the whole region) get labels, so that
// namespaces can be carved (what `ndctl init-labels` + autolabel do).
void enable_labels(ndctl_region *region)
{
	if (ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_IO)
		return;
	ndctl_namespace *ns;
	ndctl_namespace_foreach(region, ns) {
		const char *blk = ndctl_namespace_get_block_device(ns);
		if (ndctl_namespace_is_active(ns) && blk && *blk) {
			std::string sig = probe_signature(std::string("/dev/") + blk);
			if (!sig.empty())
				throw Error(std::string(ndctl_region_get_devname(region)) + " is label-less and /dev/" + blk +
					    " holds " + sig + "; refusing to initialise its labels");
		}
	}
	ndctl_dimm *dimm;
	unsigned dimms = 0;
	ndctl_dimm_foreach_in_region(region, dimm)
		dimms++;
	if (!dimms || dimms != ndctl_region_get_mappings(region))
		throw Error(std::string(ndctl_region_get_devname(region)) + " has no label-capable DIMMs");
	if (int rc = ndctl_region_disable_invalidate(region))
		throw Error(std::string("cannot disable ") + ndctl_region_get_devname(region) + " to initialise its labels: " +
			    err_text(rc));
	ndctl_dimm_foreach_in_region(region, dimm)
		if (ndctl_dimm_is_active(dimm)) {
			ndctl_region_enable(region);
			throw Error(std::string(ndctl_dimm_get_devname(dimm)) + " is active in another region; not initialising its labels");
		}
	unsigned done = 0;
	ndctl_dimm_foreach_in_region(region, dimm) {
		ndctl_cmd *idx = ndctl_dimm_read_label_index(dimm);
		if (idx)
			ndctl_cmd_unref(idx);
		if (ndctl_dimm_init_labels(dimm, NDCTL_NS_VERSION_1_2) >= 0)
			done++;
		ndctl_dimm_disable(dimm);
		ndctl_dimm_enable(dimm);
	}
	ndctl_region_enable(region);
	if (done != dimms || ndctl_region_get_nstype(region) != ND_DEVICE_NAMESPACE_PMEM)
		throw Error(std::string("cannot initialise the namespace labels of ") + ndctl_region_get_devname(region));
}

std::string dax_device_of(ndctl_dax *dax, uint64_t *size, uint64_t *phys, bool *kmem)
{
	daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);
	daxctl_dev *dev;
	if (!dr)
		return "";
	daxctl_dev_foreach(dr, dev) {
		if (!daxctl_dev_get_size(dev))
			continue;
		std::string name = daxctl_dev_get_devname(dev);
		if (size)
			*size = daxctl_dev_get_size(dev);
		if (phys)
			*phys = daxctl_dev_get_resource(dev);
		if (kmem)
			*kmem = read_link_name("/sys/bus/dax/devices/" + name + "/driver") == "kmem";
		return name;
	}
	return "";
}

// Creates a namespace of SIZE (0: all available) in REGION: devdax or fsdax with struct pages in
// host RAM. Returns the device path once its node opens.
std::string create_namespace(ndctl_region *region, uint64_t size, DevMode mode, const std::string &name, Undo &undo)
{
	std::string rdev = ndctl_region_get_devname(region);
	if (ndctl_region_get_ro(region))
		throw Error(rdev + " is read-only");
	ndctl_namespace *ns = nullptr, *n;
	ndctl_namespace_foreach(region, n)
		if (ndctl_namespace_get_id(n) == 0 && ndctl_namespace_is_configuration_idle(n)) {
			ns = n;
			break;
		}
	if (!ns)
		ns = ndctl_region_get_namespace_seed(region);
	if (!ns || !ndctl_namespace_is_configuration_idle(ns))
		throw Error(rdev + " has no free namespace slot");
	if (size == 0) {
		// A region just made for the pool is empty, unless the label areas of its memdevs
		// brought back a namespace of an earlier one (created before a reboot and not destroyed).
		ndctl_namespace_foreach(region, n)
			if (ndctl_namespace_get_size(n)) {
				const char *alt = ndctl_namespace_get_alt_name(n);
				throw Error(rdev + " came up with " + ndctl_namespace_get_devname(n) +
					    (alt && *alt ? std::string(" ('") + alt + "')" : std::string()) +
					    " from the labels of its memdevs: they hold an earlier pool's namespace. "
					    "Run `daxpool attach` to bring that pool back (then `daxpool destroy` to remove it)");
			}
		size = ndctl_region_get_max_available_extent(region);
	}
	std::string nsdev = ndctl_namespace_get_devname(ns);
	auto check = [&](int rc, const std::string &what) {
		if (rc)
			throw Error(nsdev + " in " + rdev + ": " + what + ": " + err_text(rc));
	};
	uuid_t uu;
	uuid_generate(uu);
	undo.push([ns, nsdev, rdev] {
		int rc = ndctl_namespace_disable_safe(ns);
		ndctl_namespace_set_enforce_mode(ns, NDCTL_NS_MODE_RAW);
		if (!rc)
			rc = ndctl_namespace_delete(ns);
		if (rc)
			throw Error("cannot remove " + nsdev + " in " + rdev + ": " + err_text(rc));
	});
	check(ndctl_namespace_set_uuid(ns, uu), "setting the uuid");
	check(ndctl_namespace_set_alt_name(ns, ("daxpool:" + name).c_str()), "setting the name");
	check(ndctl_namespace_set_size(ns, size), "setting the size to " + sz(size));
	ndctl_namespace_set_enforce_mode(ns, mode == DevMode::Devdax ? NDCTL_NS_MODE_DEVDAX : NDCTL_NS_MODE_FSDAX);
	uuid_generate(uu);
	std::string path;
	if (mode == DevMode::Devdax) {
		ndctl_dax *dax = ndctl_region_get_dax_seed(region);
		if (!dax)
			throw Error(rdev + " has no dax seed (is the dax_pmem module available?)");
		check(ndctl_dax_set_uuid(dax, uu), "dax uuid");
		check(ndctl_dax_set_location(dax, NDCTL_PFN_LOC_RAM), "page metadata in host RAM");
		check(ndctl_dax_set_align(dax, DAX_ALIGN), "2 MiB alignment");
		check(ndctl_dax_set_namespace(dax, ns), "binding the namespace");
		check(ndctl_dax_enable(dax), "enabling devdax");
		path = "/dev/" + dax_device_of(dax);
	} else {
		ndctl_pfn *pfn = ndctl_region_get_pfn_seed(region);
		if (!pfn)
			throw Error(rdev + " has no pfn seed");
		check(ndctl_pfn_set_uuid(pfn, uu), "pfn uuid");
		check(ndctl_pfn_set_location(pfn, NDCTL_PFN_LOC_RAM), "page metadata in host RAM");
		if (ndctl_pfn_has_align(pfn))
			check(ndctl_pfn_set_align(pfn, DAX_ALIGN), "2 MiB alignment");
		check(ndctl_pfn_set_namespace(pfn, ns), "binding the namespace");
		check(ndctl_pfn_enable(pfn), "enabling fsdax");
		const char *blk = ndctl_pfn_get_block_device(pfn);
		path = std::string("/dev/") + (blk ? blk : "");
	}
	if (path == "/dev/")
		throw Error(nsdev + ": the namespace is enabled but has no device");
	// No udev needed: devtmpfs creates the node; wait until it opens.
	if (!wait_until([&] {
		    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		    if (fd < 0)
			    return false;
		    ::close(fd);
		    return true;
	    }, 10))
		throw Error(path + " did not appear within 10 s");
	return path;
}

std::optional<RegionRecord> read_region_record(Backend &b)
{
	Shared sh(b);
	if (sh.size() < REGION_RECORD_OFF + sizeof(RegionRecord))
		return std::nullopt;
	auto rec = sh.read_obj<RegionRecord>(REGION_RECORD_OFF);
	if (std::memcmp(rec.magic, REGION_MAGIC, sizeof rec.magic) || rec.crc != daxfs_crc32c(&rec, 60))
		return std::nullopt;
	return rec;
}

// Reads the pool (if any) of a device into D.
static void fill_pool(DevicePool &d)
{
	if (d.system_ram) {
		d.pool_problem = "in system-ram mode";
		return;
	}
	try {
		Pool p(open_device_backend(d.device, Access::ReadOnly), Access::ReadOnly);
		d.pool_name = p.super().name;
		d.pool_uuid = p.uuid();
		d.pool_size = p.super().pool_size;
	} catch (const NotAPool &) {
		d.pool_problem = "no daxpool pool";
	} catch (const std::exception &e) {
		d.pool_problem = e.what();
	}
}

std::vector<DevicePool> scan_nd(ndctl_ctx *ctx, const std::vector<CxlRegion> &cxl)
{
	std::vector<DevicePool> out;
	ndctl_bus *bus;
	ndctl_bus_foreach(ctx, bus) {
		ndctl_region *region;
		ndctl_region_foreach(bus, region) {
			if (!ndctl_region_is_enabled(region))
				continue;
			uint64_t res = ndctl_region_get_resource(region);
			const CxlRegion *cr = nullptr;
			for (auto &c : cxl)
				if (c.resource == res)
					cr = &c;
			ndctl_namespace *ns;
			ndctl_namespace_foreach(region, ns) {
				if (!ndctl_namespace_is_active(ns))
					continue;
				DevicePool d;
				d.region = ndctl_region_get_id(region);
				d.nd_region = ndctl_region_get_devname(region);
				d.bus = cr ? "cxl" : "nvdimm";
				if (cr) {
					d.cxl_region = cr->name;
					d.memdevs = cr->memdevs;
					d.ways = cr->ways;
				}
				d.ns = ndctl_namespace_get_devname(ns);
				if (ndctl_dax *dax = ndctl_namespace_get_dax(ns)) {
					d.mode = "devdax";
					std::string dev = dax_device_of(dax, &d.dev_size, &d.phys, &d.system_ram);
					if (dev.empty())
						continue;
					d.device = "/dev/" + dev;
				} else if (ndctl_pfn *pfn = ndctl_namespace_get_pfn(ns)) {
					const char *blk = ndctl_pfn_get_block_device(pfn);
					if (!blk || !*blk)
						continue;
					d.mode = "fsdax";
					d.device = std::string("/dev/") + blk;
					d.dev_size = ndctl_pfn_get_size(pfn);
				} else {
					continue; // raw / sector namespaces cannot hold a pool
				}
				fill_pool(d);
				out.push_back(std::move(d));
			}
		}
	}
	return out;
}

} // namespace daxpool::pool::prov
