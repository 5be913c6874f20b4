// SPDX-License-Identifier: GPL-2.0-only
#include "pool/topology.hpp"

#include <strings.h>

#include <climits>

#include "pool/ctx.hpp"

namespace daxpool {

namespace {

const char *mode_name(enum ndctl_namespace_mode m)
{
	switch (m) {
	case NDCTL_NS_MODE_FSDAX: return "fsdax";
	case NDCTL_NS_MODE_DEVDAX: return "devdax";
	case NDCTL_NS_MODE_RAW: return "raw";
	case NDCTL_NS_MODE_SECTOR: return "sector";
	default: return "unknown";
	}
}

void read_cxl(Topology &t)
{
	CxlCtx ctx = open_cxl();
	struct cxl_memdev *memdev;
	cxl_memdev_foreach(ctx.get(), memdev) {
		MemdevInfo m{cxl_memdev_get_devname(memdev), cxl_memdev_get_serial(memdev),
			     cxl_memdev_get_pmem_size(memdev), 0, ""};
		uint64_t used = 0;
		struct cxl_endpoint *ep = cxl_memdev_get_endpoint(memdev);
		if (struct cxl_port *port = ep ? cxl_endpoint_get_port(ep) : nullptr) {
			struct cxl_decoder *dec;
			cxl_decoder_foreach(port, dec) {
				used += cxl_decoder_get_dpa_size(dec);
				if (struct cxl_region *r = cxl_decoder_get_region(dec))
					m.region = cxl_region_get_devname(r);
			}
		}
		m.pmem_free = m.pmem_size > used ? m.pmem_size - used : 0;
		t.memdevs.push_back(std::move(m));
	}
	struct cxl_bus *bus;
	cxl_bus_foreach(ctx.get(), bus) {
		struct cxl_decoder *dec;
		cxl_decoder_foreach(cxl_bus_get_port(bus), dec) {
			unsigned long long avail = cxl_decoder_get_max_available_extent(dec);
			t.root_decoders.push_back({cxl_decoder_get_devname(dec), cxl_decoder_is_pmem_capable(dec),
						   cxl_decoder_get_size(dec), avail == ULLONG_MAX ? 0 : avail});
			struct cxl_region *r;
			cxl_region_foreach(dec, r)
				t.cxl_regions.push_back({cxl_region_get_devname(r), cxl_decoder_get_devname(dec),
							 cxl_region_get_size(r), cxl_region_get_interleave_ways(r),
							 cxl_region_is_enabled(r) == 1});
		}
	}
}

void read_nd(Topology &t)
{
	NdctlCtx ctx = open_ndctl();
	struct ndctl_bus *bus;
	ndctl_bus_foreach(ctx.get(), bus) {
		const char *provider = ndctl_bus_get_provider(bus);
		const char *kind = provider && strncasecmp(provider, "cxl", 3) == 0 ? "cxl" : "nvdimm";
		struct ndctl_region *region;
		ndctl_region_foreach(bus, region) {
			struct ndctl_namespace *ns;
			ndctl_namespace_foreach(region, ns) {
				if (!ndctl_namespace_is_active(ns))
					continue;
				NamespaceInfo n{ndctl_region_get_devname(region), ndctl_namespace_get_devname(ns),
						mode_name(ndctl_namespace_get_mode(ns)), "", ndctl_namespace_get_size(ns), kind};
				if (struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ns); pfn && ndctl_pfn_get_block_device(pfn))
					n.device = ndctl_pfn_get_block_device(pfn);
				else if (struct ndctl_dax *dax = ndctl_namespace_get_dax(ns)) {
					struct daxctl_region *dr = ndctl_dax_get_daxctl_region(dax);
					struct daxctl_dev *dev = nullptr;
					if (dr)
						daxctl_dev_foreach(dr, dev) {
							if (daxctl_dev_get_size(dev)) {
								n.device = daxctl_dev_get_devname(dev);
								n.size = daxctl_dev_get_size(dev);
								break;
							}
						}
				} else if (const char *blk = ndctl_namespace_get_block_device(ns); blk && *blk)
					n.device = blk;
				t.namespaces.push_back(std::move(n));
			}
		}
	}
}

} // namespace

Topology read_topology()
{
	Topology t;
	read_cxl(t);
	read_nd(t);
	return t;
}

} // namespace daxpool
