// SPDX-License-Identifier: GPL-2.0-only
// CXL pmem regions through libcxl: memdevs, root decoders, create + commit + enable, teardown.
// The sequence is what the kernel's sysfs ABI needs (the steps `cxl create-region` and
// `cxl destroy-region` take).
#include <climits>

#include <algorithm>
#include <fstream>

#include "pool/error.hpp"
#include "pool/provision_steps.hpp"

namespace daxpool::pool::prov {

std::vector<CxlMemdev> cxl_memdevs(cxl_ctx *ctx)
{
	std::vector<CxlMemdev> out;
	cxl_memdev *m;
	cxl_memdev_foreach(ctx, m) {
		CxlMemdev d;
		d.m = m;
		d.name = cxl_memdev_get_devname(m);
		d.serial = cxl_memdev_get_serial(m);
		d.pmem = cxl_memdev_get_pmem_size(m);
		if (cxl_endpoint *ep = cxl_memdev_get_endpoint(m)) {
			if (cxl_port *port = cxl_endpoint_get_port(ep)) {
				cxl_decoder *dec;
				cxl_decoder_foreach(port, dec) {
					if (cxl_decoder_get_size(dec) == 0 && cxl_decoder_get_dpa_size(dec) == 0) {
						if (!d.free_decoder)
							d.free_decoder = dec;
						continue;
					}
					d.used += cxl_decoder_get_dpa_size(dec);
					if (cxl_region *r = cxl_decoder_get_region(dec))
						d.region = cxl_region_get_devname(r);
				}
			}
		}
		out.push_back(std::move(d));
	}
	std::sort(out.begin(), out.end(), [](const CxlMemdev &a, const CxlMemdev &b) { return a.serial < b.serial; });
	return out;
}


std::vector<CxlRegion> cxl_regions(cxl_ctx *ctx)
{
	std::vector<CxlRegion> out;
	cxl_bus *bus;
	cxl_bus_foreach(ctx, bus) {
		cxl_decoder *dec;
		cxl_decoder_foreach(cxl_bus_get_port(bus), dec) {
			cxl_region *r;
			cxl_region_foreach(dec, r) {
				CxlRegion c{r, cxl_region_get_devname(r), cxl_region_get_resource(r), cxl_region_get_size(r),
					    cxl_region_get_interleave_ways(r), {}};
				for (unsigned i = 0; i < c.ways && c.ways != UINT_MAX; i++) {
					cxl_decoder *t = cxl_region_get_target_decoder(r, static_cast<int>(i));
					cxl_memdev *m = t ? cxl_decoder_get_memdev(t) : nullptr;
					c.memdevs.emplace_back(m ? cxl_memdev_get_devname(m) : "?");
				}
				out.push_back(std::move(c));
			}
		}
	}
	return out;
}

// A root decoder that can hold a pmem region of SIZE over all of MEMDEVS.
cxl_decoder *find_root_decoder(cxl_ctx *ctx, const std::vector<CxlMemdev *> &mds, uint64_t size, std::string &why)
{
	cxl_bus *bus;
	uint64_t best = 0;
	cxl_bus_foreach(ctx, bus) {
		cxl_decoder *dec;
		cxl_decoder_foreach(cxl_bus_get_port(bus), dec) {
			if (!cxl_decoder_is_pmem_capable(dec))
				continue;
			bool all = std::all_of(mds.begin(), mds.end(),
					       [&](CxlMemdev *m) { return cxl_decoder_get_target_by_memdev(dec, m->m) != nullptr; });
			if (!all)
				continue;
			unsigned long long ext = cxl_decoder_get_max_available_extent(dec);
			if (ext == ULLONG_MAX)
				continue;
			if (ext >= size)
				return dec;
			best = std::max<uint64_t>(best, ext);
		}
	}
	why = best ? "the largest free window of a root decoder over these memdevs is " + sz(best)
		   : "no pmem-capable CXL root decoder reaches these memdevs";
	return nullptr;
}

// Resets and deletes a region: what `cxl destroy-region -f` does.
void cxl_region_teardown(cxl_region *region)
{
	std::string dev = cxl_region_get_devname(region);
	auto check = [&](int rc, const std::string &what) {
		if (rc)
			throw Error("CXL " + dev + ": " + what + ": " + err_text(rc));
	};
	if (cxl_region_is_enabled(region) == 1)
		check(cxl_region_disable(region), "disabling");
	if (cxl_region_decode_is_committed(region) == 1)
		check(cxl_region_decode_reset(region), "resetting the decoders (regions must be removed newest first)");
	unsigned ways = cxl_region_get_interleave_ways(region);
	for (unsigned i = 0; ways != UINT_MAX && i < ways; i++) {
		cxl_decoder *ep = cxl_region_get_target_decoder(region, static_cast<int>(i));
		if (!ep)
			continue;
		check(cxl_region_clear_target(region, static_cast<int>(i)), "clearing target " + std::to_string(i));
		check(cxl_decoder_set_dpa_size(ep, 0), std::string("freeing the capacity of ") + cxl_decoder_get_devname(ep));
	}
	check(cxl_region_delete(region), "deleting");
}

// Creates, commits and enables a pmem region of SIZE over MDS (in that order). Registers its
// teardown with UNDO.
cxl_region *cxl_create_region(cxl_decoder *root, const std::vector<CxlMemdev *> &mds, uint64_t size, Undo &undo)
{
	cxl_region *region = cxl_decoder_create_pmem_region(root);
	if (!region)
		throw Error(std::string("cannot create a pmem region under ") + cxl_decoder_get_devname(root));
	undo.push([region] { cxl_region_teardown(region); });
	std::string dev = cxl_region_get_devname(region);
	int g = static_cast<int>(cxl_decoder_get_interleave_granularity(root));
	unsigned ways = static_cast<unsigned>(mds.size());
	auto check = [&](int rc, const std::string &what) {
		if (rc)
			throw Error("CXL " + dev + ": " + what + ": " + err_text(rc));
	};
	uuid_t uu;
	uuid_generate(uu);
	check(cxl_region_set_interleave_granularity(region, static_cast<unsigned>(g)), "setting the granularity");
	check(cxl_region_set_interleave_ways(region, ways), "setting " + std::to_string(ways) + " interleave ways");
	check(cxl_region_set_uuid(region, uu), "setting the uuid");
	check(cxl_region_set_size(region, size), "setting the size to " + sz(size));
	for (unsigned i = 0; i < ways; i++) {
		cxl_decoder *ep = mds[i]->free_decoder;
		if (!ep)
			throw Error(mds[i]->name + " has no free endpoint decoder");
		if (cxl_decoder_get_mode(ep) != CXL_DECODER_MODE_PMEM) {
			check(cxl_decoder_set_dpa_size(ep, 0), "resetting " + std::string(cxl_decoder_get_devname(ep)));
			check(cxl_decoder_set_mode(ep, CXL_DECODER_MODE_PMEM),
			      "setting " + std::string(cxl_decoder_get_devname(ep)) + " to pmem");
		}
		check(cxl_decoder_set_dpa_size(ep, size / ways), "allocating " + sz(size / ways) + " of " + mds[i]->name);
		// Freed by the region's teardown once it is a target (this step runs first and gets
		// EBUSY then, so it stays quiet; the teardown reports its own failures); this covers
		// the step between.
		undo.push([ep] { cxl_decoder_set_dpa_size(ep, 0); });
		check(cxl_region_set_target(region, static_cast<int>(i), ep), "adding " + mds[i]->name + " as target " + std::to_string(i));
	}
	check(cxl_region_decode_commit(region), "committing the decoders");
	check(cxl_region_enable(region), "enabling");
	// With the hypervisor CPUID bit set the kernel refuses to commit while the sysfs writes
	// above still succeed: check the result, not the return codes. libcxl's
	// cxl_region_decode_is_committed() answers from its cache of the write, so the kernel's
	// own view is read from sysfs.
	std::ifstream commit("/sys/bus/cxl/devices/" + dev + "/commit");
	int committed = 0;
	if (!(commit >> committed) || committed != 1 || cxl_region_is_enabled(region) != 1)
		throw Error("CXL " + dev + " did not commit (the kernel log says why: dmesg | grep cxl)");
	return region;
}

} // namespace daxpool::pool::prov
