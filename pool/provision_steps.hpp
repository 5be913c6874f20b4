// SPDX-License-Identifier: GPL-2.0-only
// Internal to provisioning (pool/provision.cpp, pool/attach.cpp): the steps on CXL regions (pool/cxl_region.cpp)
// and on nd regions and namespaces (pool/nd_namespace.cpp), and what they share.
#pragma once

#include <uuid/uuid.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lib/util/fd.hpp"
#include "lib/util/size.hpp"
#include "pool/ctx.hpp"
#include "pool/layout.hpp"
#include "pool/provision.hpp"

namespace daxpool::pool::prov {

inline constexpr uint64_t SZ_256M = 256 * MiB;
// From the kernel's nd device types (ndctl/ndctl.h, which needs ccan headers Debian does not ship).
inline constexpr unsigned ND_DEVICE_REGION_PMEM = 2, ND_DEVICE_NAMESPACE_IO = 4, ND_DEVICE_NAMESPACE_PMEM = 5;
inline constexpr unsigned long DAX_ALIGN = 2 * MiB;

// create, attach and destroy on one host run one at a time: each reads the memdevs' and
// regions' state and then changes it (a flock on /run/daxpool/provision.lock).
class ProvisionLock {
public:
	ProvisionLock();

private:
	util::Fd fd_;
};

// A block device that is mounted here or opened exclusively (O_EXCL: a filesystem, md, ...).
bool raw_in_use(const std::string &dev);

inline void tell(void (*say)(const std::string &), const std::string &m)
{
	if (say)
		say(m);
}

// "4G", "256M", "300M" when exact (the form --size takes), else util::format_size.
inline std::string sz(uint64_t v)
{
	if (v && v % (1024 * MiB) == 0)
		return std::to_string(v / (1024 * MiB)) + "G";
	if (v && v % MiB == 0)
		return std::to_string(v / MiB) + "M";
	return util::format_size(v);
}

inline std::string err_text(int rc) { return std::strerror(rc < 0 ? -rc : rc); }

// Steps to undo, run in reverse order unless the whole sequence succeeded. A step that fails
// throws; the rollback goes on with the others and says on stderr what was left behind (the
// error that started the rollback is the command's own message).
class Undo {
public:
	Undo() = default;
	Undo(const Undo &) = delete;
	Undo &operator=(const Undo &) = delete;
	~Undo()
	{
		for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
			try {
				(*it)();
			} catch (const std::exception &e) {
				std::fprintf(stderr, "daxpool: rolling back: %s (left behind: `daxpool list` shows it)\n",
					     e.what());
			} catch (...) {
				std::fprintf(stderr, "daxpool: rolling back: a step failed\n");
			}
		}
	}
	void push(std::function<void()> f) { steps_.push_back(std::move(f)); }
	void commit() { steps_.clear(); }

private:
	std::vector<std::function<void()>> steps_;
};

template <typename Pred> bool wait_until(Pred p, double secs)
{
	auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
	for (;;) {
		if (p())
			return true;
		if (std::chrono::steady_clock::now() > end)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
}

template <typename Pred> ndctl_region *nd_region_where(ndctl_ctx *ctx, Pred pred)
{
	ndctl_bus *bus;
	ndctl_bus_foreach(ctx, bus) {
		ndctl_region *r;
		ndctl_region_foreach(bus, r)
			if (pred(r))
				return r;
	}
	return nullptr;
}

// ---- CXL (cxl_region.cpp) ----

struct CxlMemdev {
	cxl_memdev *m = nullptr;
	std::string name;
	uint64_t serial = 0, pmem = 0, used = 0;
	cxl_decoder *free_decoder = nullptr; // first endpoint decoder with no region
	std::string region;                  // a CXL region using it, if any
	uint64_t free() const { return pmem > used ? pmem - used : 0; }
};
// Every memdev, in serial-number order.
std::vector<CxlMemdev> cxl_memdevs(cxl_ctx *ctx);

struct CxlRegion {
	cxl_region *r = nullptr;
	std::string name;
	uint64_t resource = 0, size = 0;
	unsigned ways = 0;
	std::vector<std::string> memdevs; // by position
};
std::vector<CxlRegion> cxl_regions(cxl_ctx *ctx);
// A root decoder that can hold a pmem region of SIZE over all of MDS; else null and WHY.
cxl_decoder *find_root_decoder(cxl_ctx *ctx, const std::vector<CxlMemdev *> &mds, uint64_t size, std::string &why);
// Resets and deletes a region, checking each step: what `cxl destroy-region -f` does.
void cxl_region_teardown(cxl_region *region);
// Creates, commits and enables a pmem region of SIZE over MDS (in that order); its teardown
// goes onto UNDO.
cxl_region *cxl_create_region(cxl_decoder *root, const std::vector<CxlMemdev *> &mds, uint64_t size, Undo &undo);

// ---- nd regions and namespaces (nd_namespace.cpp) ----

ndctl_region *nd_region_by_resource(ndctl_ctx *ctx, uint64_t res);
ndctl_region *nd_region_by_id(ndctl_ctx *ctx, unsigned id);
// Label-less NVDIMM regions get labels (ndctl init-labels + autolabel).
void enable_labels(ndctl_region *region);
// The device of a dax claim ("dax0.0"), its size, physical address and kmem binding.
std::string dax_device_of(ndctl_dax *dax, uint64_t *size = nullptr, uint64_t *phys = nullptr, bool *kmem = nullptr);
// A devdax or fsdax namespace of SIZE (0: all) in REGION with struct pages in host RAM; its
// removal goes onto UNDO. Returns the device path once its node opens.
std::string create_namespace(ndctl_region *region, uint64_t size, DevMode mode, const std::string &name, Undo &undo);
std::optional<RegionRecord> read_region_record(Backend &b);
// Every active devdax / fsdax namespace with the pool each holds.
std::vector<DevicePool> scan_nd(ndctl_ctx *ctx, const std::vector<CxlRegion> &cxl);

} // namespace daxpool::pool::prov
