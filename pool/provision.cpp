// SPDX-License-Identifier: GPL-2.0-only
// Provisioning through libcxl / libndctl / libdaxctl (docs/provisioning.md): create, destroy
// and the lookup of pools (attach: attach.cpp), over the steps in cxl_region.cpp and nd_namespace.cpp. Every
// step is undone in reverse order when a later one fails, so nothing is left provisioned
// half-way.
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
#include "pool/agent_unit.hpp"
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

prov::ProvisionLock::ProvisionLock()
{
	::mkdir("/run/daxpool", 0755);
	fd_ = util::Fd(::open("/run/daxpool/provision.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
	if (!fd_)
		throw_errno("cannot open /run/daxpool/provision.lock", errno);
	while (::flock(fd_.get(), LOCK_EX) < 0)
		if (errno != EINTR)
			throw_errno("cannot lock /run/daxpool/provision.lock", errno);
}

bool prov::raw_in_use(const std::string &dev)
{
	int fd = ::open(dev.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return errno == EBUSY;
	::close(fd);
	return false;
}

void require_root(const std::string &what)
{
	if (::geteuid() != 0)
		throw Error(what + " needs root (CAP_SYS_ADMIN: it configures CXL regions, namespaces or mounts)");
}

std::string check_region_size(uint64_t size, unsigned ways)
{
	uint64_t unit = SZ_256M * (ways ? ways : 1);
	if (size && size % unit == 0)
		return {};
	uint64_t lo = size / unit * unit;
	std::string s = "a CXL region over " + std::to_string(ways) + " memdev" + (ways == 1 ? "" : "s") +
			" is a multiple of " + sz(unit) + " (256 MiB per memdev); nearest valid sizes: ";
	if (lo)
		s += sz(lo) + " or ";
	return s + sz(lo + unit);
}

std::vector<DevicePool> scan_devices()
{
	std::vector<CxlRegion> cxl;
	CxlCtx cctx = open_cxl();
	cxl = cxl_regions(cctx.get());
	NdctlCtx nctx = open_ndctl();
	return scan_nd(nctx.get(), cxl);
}

namespace {

DevicePool finish_pool(const std::string &path, const ProvisionOptions &o, const RegionRecord &rec,
		       Undo &undo)
{
	std::string sig = probe_signature(path);
	if (!sig.empty() && !o.force)
		throw Error("the new device " + path + " holds " + sig +
			    " from before (provisioning does not clear memory); use --force to overwrite it");
	auto b = open_device_backend(path, Access::ReadWrite);
	uint64_t size = b->map().size() / EXTENT_ALIGN * EXTENT_ALIGN;
	if (auto why = check_pool_size(size); !why.empty())
		throw Error(path + " is too small for a pool: " + why);
	{
		WriterLock lock = WriterLock::try_lock(path);
		if (!lock.held())
			throw Error(path + " is in use by a daxpool writer");
		format_pool(*b, size, o.name.empty() ? "pool" : o.name, random_uuid(), &rec);
	}
	b.reset();
	udev_reprobe(path); // the link and the pool's units, now (docs/provisioning.md)
	undo.commit();
	for (auto &d : scan_devices())
		if (d.device == path)
			return d;
	throw Error("internal error: the new pool on " + path + " is not found again");
}

RegionRecord make_record(uint32_t bus, DevMode mode, uint64_t size, uint32_t ways, uint32_t gran)
{
	RegionRecord r{};
	std::memcpy(r.magic, REGION_MAGIC, sizeof r.magic);
	r.bus = bus;
	r.mode = mode == DevMode::Devdax ? REGION_MODE_DEVDAX : REGION_MODE_FSDAX;
	r.region_size = size;
	r.ways = ways;
	r.granularity = gran;
	r.crc = daxfs_crc32c(&r, 60);
	return r;
}

DevicePool create_cxl(const ProvisionOptions &o, cxl_ctx *ctx, std::vector<CxlMemdev> &mds)
{
	std::vector<CxlMemdev *> pick;
	if (!o.memdevs.empty()) {
		for (auto &want : o.memdevs) {
			auto it = std::find_if(mds.begin(), mds.end(), [&](auto &m) { return m.name == want; });
			if (it == mds.end())
				throw Error("--memdev " + want + ": no such CXL memdev (daxpool list shows them)");
			if (std::find(pick.begin(), pick.end(), &*it) != pick.end())
				throw Error("--memdev " + want + " is given twice");
			pick.push_back(&*it);
		}
		if (o.ways && o.ways != pick.size())
			throw Error("--ways " + std::to_string(o.ways) + " does not match the " +
				    std::to_string(pick.size()) + " memdevs given");
		if (auto why = check_region_size(o.size, static_cast<unsigned>(pick.size())); !why.empty())
			throw Error("--size " + sz(o.size) + ": " + why);
		for (auto *m : pick) {
			if (!m->free_decoder)
				throw Error(m->name + " is busy: all its decoders are in use" +
					    (m->region.empty() ? "" : " (by " + m->region + ")"));
			if (m->free() < o.size / pick.size())
				throw Error(m->name + " has " + sz(m->free()) + " of free pmem capacity, " +
					    sz(o.size / pick.size()) + " is needed" +
					    (m->region.empty() ? "" : " (" + m->region + " uses the rest)"));
		}
	} else {
		std::vector<CxlMemdev *> avail;
		for (auto &m : mds)
			if (m.free_decoder && m.free() > 0)
				avail.push_back(&m);
		if (avail.empty())
			throw Error("no CXL memdev has free pmem capacity (daxpool list shows what uses them)");
		uint64_t total = 0;
		for (auto *m : avail)
			total += m->free();
		std::vector<unsigned> ways_try;
		if (o.ways)
			ways_try.push_back(o.ways);
		else
			for (unsigned w = 1; w <= avail.size(); w *= 2)
				ways_try.push_back(w);
		std::string size_why;
		for (unsigned w : ways_try) {
			if (auto why = check_region_size(o.size, w); !why.empty()) {
				if (o.ways)
					throw Error("--size " + sz(o.size) + ": " + why);
				if (size_why.empty())
					size_why = why;
				continue;
			}
			std::vector<CxlMemdev *> g;
			for (auto *m : avail)
				if (g.size() < w && m->free() >= o.size / w)
					g.push_back(m);
			if (g.size() == w) {
				pick = g;
				break;
			}
		}
		if (pick.empty()) {
			if (!size_why.empty() && o.size % SZ_256M)
				throw Error("--size " + sz(o.size) + ": " + size_why);
			throw Error("not enough free CXL pmem capacity for " + sz(o.size) + ": " +
				    std::to_string(avail.size()) + " memdev(s) with " + sz(total) +
				    " free in all" + (o.ways ? " (with --ways " + std::to_string(o.ways) + ")" : "") +
				    (size_why.empty() ? "" : "; " + size_why));
		}
	}
	std::string why;
	cxl_decoder *root = find_root_decoder(ctx, pick, o.size, why);
	if (!root)
		throw Error("cannot place a " + sz(o.size) + " region: " + why);
	std::string names;
	for (auto *m : pick)
		names += (names.empty() ? "" : " ") + m->name;
	// Declared before the undo steps that use its objects, so that it outlives them.
	NdctlCtx nctx;
	Undo undo;
	cxl_region *region = cxl_create_region(root, pick, o.size, undo);
	std::string rname = cxl_region_get_devname(region);
	tell(o.say, "created CXL " + rname + " (" + sz(o.size) + ", " + std::to_string(pick.size()) +
			    "-way interleave over " + names + ")");
	uint64_t res = cxl_region_get_resource(region);
	ndctl_region *nr = nullptr;
	if (!wait_until([&] {
		    nctx = open_ndctl();
		    nr = nd_region_by_resource(nctx.get(), res);
		    return nr != nullptr;
	    }, 15))
		throw Error("CXL " + rname + " is enabled but no nd region appeared for it within 15 s");
	std::string path = create_namespace(nr, 0, o.mode, o.name.empty() ? "pool" : o.name, undo);
	tell(o.say, "created " + std::string(o.mode == DevMode::Devdax ? "devdax" : "fsdax") + " namespace " + path + " in " +
			    ndctl_region_get_devname(nr));
	return finish_pool(path, o,
			   make_record(REGION_BUS_CXL, o.mode, o.size, static_cast<uint32_t>(pick.size()),
				       cxl_region_get_interleave_granularity(region)),
			   undo);
}

DevicePool create_nvdimm(const ProvisionOptions &o, const std::vector<CxlRegion> &cxl)
{
	NdctlCtx ctx = open_ndctl();
	ndctl_bus *bus;
	std::vector<ndctl_region *> regions;
	ndctl_bus_foreach(ctx.get(), bus) {
		ndctl_region *r;
		ndctl_region_foreach(bus, r) {
			if (ndctl_region_get_type(r) != ND_DEVICE_REGION_PMEM || !ndctl_region_is_enabled(r))
				continue;
			bool is_cxl = std::any_of(cxl.begin(), cxl.end(),
						  [&](auto &c) { return c.resource == ndctl_region_get_resource(r); });
			if (!is_cxl)
				regions.push_back(r);
		}
	}
	if (regions.empty())
		throw Error("no NVDIMM pmem region found");
	// The region is chosen (capacity, alignment) before anything is written: labels are only
	// initialised on the region that will hold the pool.
	std::string sizes;
	for (ndctl_region *r : regions) {
		bool labelless = ndctl_region_get_nstype(r) == ND_DEVICE_NAMESPACE_IO;
		uint64_t avail = labelless ? ndctl_region_get_size(r) : ndctl_region_get_max_available_extent(r);
		sizes += std::string(sizes.empty() ? "" : ", ") + ndctl_region_get_devname(r) + " " + sz(avail);
		if (avail < o.size)
			continue;
		uint64_t align = std::max<uint64_t>(ndctl_region_get_align(r), DAX_ALIGN) *
				 std::max(1u, ndctl_region_get_interleave_ways(r));
		if (o.size % align) {
			uint64_t lo = o.size / align * align;
			throw Error("--size " + sz(o.size) + ": a namespace in " + ndctl_region_get_devname(r) +
				    " is a multiple of " + sz(align) + "; nearest valid sizes: " +
				    (lo ? sz(lo) + " or " : "") + sz(lo + align));
		}
		if (labelless) {
			enable_labels(r);
			tell(o.say, std::string("initialised the namespace labels of ") + ndctl_region_get_devname(r));
		}
		Undo undo;
		std::string path = create_namespace(r, o.size, o.mode, o.name.empty() ? "pool" : o.name, undo);
		tell(o.say, "created " + std::string(o.mode == DevMode::Devdax ? "devdax" : "fsdax") + " namespace " + path +
				    " in " + ndctl_region_get_devname(r));
		return finish_pool(path, o, make_record(REGION_BUS_NVDIMM, o.mode, o.size, 0, 0), undo);
	}
	throw Error("not enough free NVDIMM capacity for " + sz(o.size) + " (free: " + sizes + ")");
}

} // namespace

DevicePool create_device_pool(const ProvisionOptions &o)
{
	require_root("create");
	ProvisionLock plock;
	if (!o.name.empty() && !valid_name(o.name))
		throw Error("--name '" + o.name + "' is not a valid pool name (" + std::string(name_rules) + ")");
	if (o.size == 0)
		throw Error("--size is required");
	CxlCtx cctx = open_cxl();
	std::vector<CxlMemdev> mds = cxl_memdevs(cctx.get());
	Bus bus = o.bus;
	if (bus == Bus::Auto)
		bus = mds.empty() ? Bus::Nvdimm : Bus::Cxl;
	if (bus == Bus::Cxl) {
		if (mds.empty())
			throw Error("no CXL memory devices found (is cxl_pci loaded? `daxpool list` shows what this host sees)");
		return create_cxl(o, cctx.get(), mds);
	}
	if (!o.memdevs.empty() || o.ways)
		throw Error("--memdev and --ways are for CXL; NVDIMM regions are fixed by the platform");
	auto cxl = cxl_regions(cctx.get());
	try {
		return create_nvdimm(o, cxl);
	} catch (const Error &e) {
		if (o.bus == Bus::Auto && std::string(e.what()) == "no NVDIMM pmem region found")
			throw Error("no CXL memory devices or NVDIMM regions found on this host");
		throw;
	}
}

DevicePool create_pool_on_device(const std::string &device, const std::string &name, bool force,
				 void (*say)(const std::string &))
{
	require_root("create");
	ProvisionLock plock;
	if (!name.empty() && !valid_name(name))
		throw Error("--name '" + name + "' is not a valid pool name (" + std::string(name_rules) + ")");
	char buf[PATH_MAX];
	if (!::realpath(device.c_str(), buf))
		throw_errno("--device " + device, errno);
	const std::string path = buf;
	std::string seen;
	for (auto &d : scan_devices()) {
		if (d.device != path) {
			seen += (seen.empty() ? "" : ", ") + d.device;
			continue;
		}
		if (d.system_ram)
			throw Error(path + " is in system-ram mode: its memory is in use by the kernel "
					   "(daxctl reconfigure-device -m devdax gives it back)");
		// A readable pool is never overwritten, --force or not: other hosts may have its images
		// mounted, which only destroy checks (their mount records, under the writer role).
		if (!d.pool_name.empty())
			throw Error(path + " holds pool '" + d.pool_name + "' (" + d.pool_uuid +
				    "); other hosts may have its images mounted. Destroy it first: daxpool destroy --pool " +
				    path + " (it checks every host's mounts)");
		// The same checks as on a device create provisions itself: what it holds, a writer.
		std::string sig = probe_signature(path);
		if (!sig.empty() && !force)
			throw Error(path + " holds " + sig + "; refusing to overwrite it without --force");
		if (raw_in_use(path))
			throw Error(path + " is in use (mounted, or opened exclusively)");
		if (auto m = daxfs_mounts_of(d); !m.empty())
			throw Error(path + " has a daxfs mount at " + m.front().mountpoint + "; refusing to overwrite it");
		auto b = open_device_backend(path, Access::ReadWrite);
		uint64_t size = b->map().size() / EXTENT_ALIGN * EXTENT_ALIGN;
		if (auto why = check_pool_size(size); !why.empty())
			throw Error(path + " is too small for a pool: " + why);
		tell(say, "formatting a pool of " + sz(size) + " on " + path + " (" + d.mode + ", " + d.nd_region +
				  (d.cxl_region.empty() ? "" : ", CXL " + d.cxl_region) + ")");
		{
			WriterLock lock = WriterLock::try_lock(path);
			if (!lock.held())
				throw Error(path + " is in use by a daxpool writer");
			// No region record: the operator made the region and namespace, and re-creates them
			// after a reboot (attach re-creates only the regions that create made).
			format_pool(*b, size, name.empty() ? "pool" : name, random_uuid(), nullptr);
		}
		b.reset();
		udev_reprobe(path);
		for (auto &n : scan_devices())
			if (n.device == path)
				return n;
		throw Error("internal error: the new pool on " + path + " is not found again");
	}
	throw Error(path + " is not an active devdax or fsdax namespace's device (" +
		    (seen.empty() ? std::string("this host has none") : "this host has: " + seen) +
		    "); provision one with `cxl create-region` and `ndctl create-namespace -m devdax|fsdax`");
}

// ---- finding and destroying ------------------------------------------------------------------

DevicePool find_device_pool(const PoolRef &ref)
{
	auto all = scan_devices();
	std::vector<DevicePool> hit;
	std::string seen;
	for (auto &d : all) {
		bool match = ref.region ? d.region == *ref.region
					: (d.pool_name == ref.path || d.pool_uuid == ref.path || d.device == ref.path);
		if (!match)
			continue;
		if (d.system_ram)
			throw Error(d.device + " (region " + std::to_string(d.region) +
				    ") is in system-ram mode: its memory is in use by the kernel; "
				    "reconfigure it to devdax (daxctl reconfigure-device -m devdax) to use the pool on it");
		if (d.pool_name.empty()) {
			seen += (seen.empty() ? "" : ", ") + d.device + " (" + d.pool_problem + ")";
			continue;
		}
		hit.push_back(d);
	}
	std::string what = ref.region ? "region " + std::to_string(*ref.region) : "'" + ref.path + "'";
	if (hit.empty()) {
		if (ref.region && seen.empty())
			throw Error("region " + std::to_string(*ref.region) +
				    " has no devdax or fsdax device here (run `daxpool attach` after a reboot; `daxpool list` "
				    "shows the regions)");
		throw Error("no pool " + what + " found" + (seen.empty() ? "" : " (" + seen + ")") +
			    "; `daxpool list` shows the devices and pools");
	}
	if (hit.size() > 1) {
		std::string l;
		for (auto &d : hit)
			l += (l.empty() ? "" : ", ") + d.pool_name + " on " + d.device;
		throw Error(what + " holds several pools (" + l + "); name one with --pool NAME");
	}
	return hit.front();
}

namespace {

// The namespace that holds device pool d, or nullptr.
ndctl_namespace *find_namespace(ndctl_ctx *ctx, const DevicePool &d)
{
	ndctl_region *nr = nd_region_by_id(ctx, d.region);
	if (!nr)
		return nullptr;
	ndctl_namespace *ns;
	ndctl_namespace_foreach(nr, ns)
		if (d.ns == ndctl_namespace_get_devname(ns))
			return ns;
	return nullptr;
}

} // namespace

void destroy_device_pool(const DevicePool &d, bool force, void (*say)(const std::string &))
{
	require_root("destroy");
	ProvisionLock plock;
	std::string who = "pool " + d.pool_name + " on " + d.device;
	// This host's agent maps the device (daxpool-agent@DEV.service): stopped once the pool is
	// wiped, before the namespace goes and its mapping with it. Reached first: a systemd that
	// cannot be reached refuses the destroy with nothing changed; a refused destroy stops nothing.
	std::optional<AgentUnit> agent;
	try {
		agent.emplace(d.device);
	} catch (const Error &e) {
		throw Error("refusing to destroy " + who + ": " + e.what());
	}
	{
		Pool pool(open_device_backend(d.device, Access::ReadWrite, "region " + std::to_string(d.region)),
			  Access::ReadWrite);
		if (pool.uuid() != d.pool_uuid)
			throw Error(d.device + " now holds pool " + pool.uuid() + ", not " + d.pool_uuid + "; run destroy again");
		// Everything destroy will remove must be there before anything is wiped.
		NdctlCtx nctx = open_ndctl();
		if (!find_namespace(nctx.get(), d))
			throw Error("refusing to destroy " + who + ": its namespace " + d.ns + " is not in nd region " +
				    std::to_string(d.region) + " (daxpool list shows what is there)");
		auto here = daxfs_mounts_of(d);
		if (!here.empty())
			throw Error("refusing to destroy " + who + ": " + std::to_string(here.size()) +
				    " image(s) are mounted on this host (at " + here.front().mountpoint +
				    "); unmount them first (--force never unmounts)");
		std::vector<std::string> reclaimed;
		pool.destroy(force, who, "daxpool destroy --pool " + d.pool_name + " --force",
			     [] { std::fprintf(stderr, "daxpool: waiting for another writer of this pool...\n"); }, &reclaimed);
		for (const auto &r : reclaimed)
			tell(say, r);
	}
	tell(say, "wiped the superblocks of " + who);
	// The agent finds no superblock now and ends with status 3 (a clean stop, not restarted).
	// A stop that fails changes nothing that matters: the pool is wiped, so the agent ends with
	// status 3 at its next beat or when its mapping goes (cmd_agent.cpp); destroy goes on.
	try {
		if (agent->stop())
			tell(say, "stopped " + agent->name() + " (this host's heartbeat in the pool)");
	} catch (const Error &e) {
		std::fprintf(stderr, "daxpool: warning: %s; it ends by itself now that the pool is wiped (else: systemctl stop %s)\n",
			     e.what(), agent->name().c_str());
	}
	// The link and the units go before the namespace does: udev reads the wiped device while it
	// is there (one that is gone keeps the last values, and the agent would be started again).
	udev_reprobe(d.device, std::chrono::seconds(10));
	NdctlCtx nctx = open_ndctl();
	ndctl_namespace *ns = find_namespace(nctx.get(), d);
	if (!ns)
		throw Error("namespace " + d.ns + " went away while destroying " + who + "; the pool is already wiped");
	int rc = ndctl_namespace_disable_safe(ns);
	if (rc)
		throw Error("cannot disable " + d.ns + " (is " + d.device + " open?): " + err_text(rc) +
			    "; the pool is already wiped");
	ndctl_namespace_set_enforce_mode(ns, NDCTL_NS_MODE_RAW);
	rc = ndctl_namespace_delete(ns);
	if (rc)
		throw Error("cannot delete " + d.ns + ": " + err_text(rc) + "; the pool is already wiped");
	tell(say, "deleted namespace " + d.ns);
	ndctl_region *nr = nd_region_by_id(nctx.get(), d.region);
	if (d.cxl_region.empty())
		return;
	// Another namespace in the region (not daxpool's) keeps it.
	if (nr) {
		ndctl_namespace *ns;
		ndctl_namespace_foreach(nr, ns)
			if (ndctl_namespace_is_active(ns) && d.ns != ndctl_namespace_get_devname(ns)) {
				tell(say, "kept CXL " + d.cxl_region + ": it also holds " + ndctl_namespace_get_devname(ns));
				return;
			}
	}
	CxlCtx cctx = open_cxl();
	for (auto &r : cxl_regions(cctx.get()))
		if (r.name == d.cxl_region) {
			cxl_region_teardown(r.r);
			tell(say, "deleted CXL " + d.cxl_region);
		}
}

} // namespace daxpool::pool