// SPDX-License-Identifier: GPL-2.0-only
// daxpool attach (docs/provisioning.md): after a boot or on another host, the CXL regions of
// pools re-created from their region records, over the steps in cxl_region.cpp and
// nd_namespace.cpp.
#include "pool/provision.hpp"

#include <dirent.h>
#include <uuid/uuid.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"
#include "lib/util/hex.hpp"
#include "lib/util/size.hpp"
#include "pool/create.hpp"
#include "pool/ctx.hpp"
#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/hosts.hpp"
#include "pool/lock.hpp"
#include "pool/mounts.hpp"
#include "pool/names.hpp"
#include "pool/pool.hpp"
#include "pool/probe.hpp"
#include "pool/provision_steps.hpp"
#include "pool/shmem.hpp"

namespace daxpool::pool {

using namespace prov;

// ---- attach ----------------------------------------------------------------------------------

std::vector<DevicePool> attach(const AttachOptions &o)
{
	require_root("attach");
	ProvisionLock plock;
	// NVDIMM: regions are static; a namespace another host created since boot shows up after
	// the labels are read again.
	{
		NdctlCtx ctx = open_ndctl();
		CxlCtx cctx = open_cxl();
		auto cxl = cxl_regions(cctx.get());
		ndctl_bus *bus;
		ndctl_bus_foreach(ctx.get(), bus) {
			ndctl_region *r;
			ndctl_region_foreach(bus, r) {
				if (ndctl_region_get_type(r) != ND_DEVICE_REGION_PMEM)
					continue;
				bool is_cxl = std::any_of(cxl.begin(), cxl.end(),
							  [&](auto &c) { return c.resource == ndctl_region_get_resource(r); });
				if (is_cxl)
					continue;
				// Re-reading tears the region's devices down: only when none is in use. A
				// label-less region's raw namespace (what a host that booted before another
				// host initialised the labels sees) counts as unused unless it is mounted or
				// held open exclusively.
				bool busy = false;
				ndctl_namespace *ns;
				ndctl_namespace_foreach(r, ns) {
					if (!ndctl_namespace_is_active(ns))
						continue;
					const char *blk = ndctl_namespace_get_block_device(ns);
					bool raw = ndctl_namespace_get_mode(ns) == NDCTL_NS_MODE_RAW && blk && *blk;
					busy = busy || !raw || raw_in_use(std::string("/dev/") + blk);
				}
				if (busy)
					continue;
				ndctl_region_disable_invalidate(r);
				ndctl_dimm *dimm;
				ndctl_dimm_foreach_in_region(r, dimm) {
					ndctl_dimm_disable(dimm);
					ndctl_dimm_enable(dimm);
				}
				ndctl_region_enable(r);
			}
		}
	}
	// The kernel reads a DIMM's label area when the DIMM's driver binds: labels another host
	// wrote since then (a namespace it created in the shared memory) are seen only after the
	// DIMM is re-bound. Only DIMMs in no active region are touched.
	{
		NdctlCtx ctx = open_ndctl();
		ndctl_bus *bus;
		ndctl_bus_foreach(ctx.get(), bus) {
			ndctl_dimm *dimm;
			ndctl_dimm_foreach(bus, dimm) {
				if (ndctl_dimm_is_active(dimm))
					continue;
				ndctl_dimm_disable(dimm);
				ndctl_dimm_enable(dimm);
			}
		}
	}
	// CXL: try groupings of the memdevs that have no region, largest first, in serial order
	// (the order create uses); keep a region only if it holds a pool.
	for (bool progress = true; progress;) {
		progress = false;
		CxlCtx cctx = open_cxl();
		std::vector<CxlMemdev> mds = cxl_memdevs(cctx.get());
		std::vector<std::vector<CxlMemdev *>> groups;
		if (!o.memdevs.empty()) {
			std::vector<CxlMemdev *> g;
			for (auto &want : o.memdevs) {
				auto it = std::find_if(mds.begin(), mds.end(), [&](auto &m) { return m.name == want; });
				if (it == mds.end())
					throw Error("--memdev " + want + ": no such CXL memdev");
				if (!it->free_decoder || !it->free())
					throw Error(want + " is already in use" + (it->region.empty() ? "" : " by " + it->region));
				g.push_back(&*it);
			}
			groups.push_back(g);
		} else {
			std::vector<CxlMemdev *> avail;
			for (auto &m : mds)
				if (m.free_decoder && m.free() >= SZ_256M)
					avail.push_back(&m);
			unsigned top = 1;
			while (top * 2 <= avail.size())
				top *= 2;
			for (unsigned w = top; w >= 1 && !avail.empty(); w /= 2)
				for (size_t i = 0; i + w <= avail.size(); i++)
					groups.emplace_back(avail.begin() + static_cast<long>(i), avail.begin() + static_cast<long>(i + w));
		}
		for (auto &g : groups) {
			uint64_t per = UINT64_MAX;
			for (auto *m : g)
				per = std::min(per, m->free() / SZ_256M * SZ_256M);
			uint64_t size = per * g.size();
			std::string why, names;
			for (auto *m : g)
				names += (names.empty() ? "" : " ") + m->name;
			cxl_decoder *root = size ? find_root_decoder(cctx.get(), g, size, why) : nullptr;
			if (!root)
				continue;
			std::optional<DevicePool> found;
			std::optional<RegionRecord> rec;
			{
				Undo undo;
				cxl_region *region;
				try {
					region = cxl_create_region(root, g, size, undo);
				} catch (const Error &e) {
					tell(o.say, "trying " + names + ": " + e.what());
					continue;
				}
				uint64_t res = cxl_region_get_resource(region);
				NdctlCtx nctx;
				ndctl_region *nr = nullptr;
				wait_until([&] {
					nctx = open_ndctl();
					nr = nd_region_by_resource(nctx.get(), res);
					return nr != nullptr;
				}, 15);
				// Namespaces come back from the labels asynchronously: first one with a size
				// (proof that this grouping matches the labels), then its dax / pfn device,
				// which takes longer on big regions (the struct pages are built in host RAM).
				bool labelled = nr && wait_until([&] {
					NdctlCtx c = open_ndctl();
					ndctl_region *x = nd_region_by_resource(c.get(), res);
					ndctl_namespace *ns;
					if (x)
						ndctl_namespace_foreach(x, ns)
							if (ndctl_namespace_get_size(ns) > 0)
								return true;
					return false;
				}, 3);
				if (labelled)
					wait_until([&] {
						for (auto &d : scan_devices())
							if (d.cxl_region == cxl_region_get_devname(region) && !d.pool_name.empty()) {
								found = d;
								return true;
							}
						return false;
					}, 60);
				if (found) {
					auto b = open_device_backend(found->device, Access::ReadOnly);
					rec = read_region_record(*b);
					if (!rec || rec->bus != REGION_BUS_CXL || rec->region_size == size)
						undo.commit();
				}
			}
			if (found && rec && rec->bus == REGION_BUS_CXL && rec->region_size != size) {
				// The pool was made on a smaller region: re-create exactly that one.
				CxlCtx c2 = open_cxl();
				std::vector<CxlMemdev> m2 = cxl_memdevs(c2.get());
				std::vector<CxlMemdev *> g2;
				for (auto *m : g)
					for (auto &x : m2)
						if (x.name == m->name)
							g2.push_back(&x);
				cxl_decoder *root2 = find_root_decoder(c2.get(), g2, rec->region_size, why);
				if (!root2)
					throw Error("the pool on " + names + " needs a " + sz(rec->region_size) +
						    " region: " + why);
				Undo undo;
				cxl_region *region = cxl_create_region(root2, g2, rec->region_size, undo);
				bool ok = wait_until([&] {
					for (auto &d : scan_devices())
						if (d.cxl_region == cxl_region_get_devname(region) && !d.pool_name.empty())
							return true;
					return false;
				}, 15);
				if (!ok)
					throw Error("re-created the " + sz(rec->region_size) + " region over " + names +
						    " but its pool did not come back");
				undo.commit();
			}
			if (found) {
				tell(o.say, "attached pool " + found->pool_name + " on " + names);
				progress = true;
				break;
			}
		}
		if (!o.memdevs.empty()) {
			if (!progress)
				throw Error("no daxpool pool found on --memdev " + [&] {
					std::string n;
					for (auto &m : o.memdevs)
						n += (n.empty() ? "" : ",") + m;
					return n;
				}() + " (in this order)");
			break;
		}
	}
	return scan_devices();
}

} // namespace daxpool::pool
