// SPDX-License-Identifier: GPL-2.0-only
// Provisioning pools on real (or emulated) hardware through libcxl, libndctl and libdaxctl:
// create a CXL pmem region (or use an NVDIMM region), a devdax or fsdax namespace with its page
// metadata in host RAM, format the pool; find pools on the devices; re-create regions after a
// reboot or on another host (attach); tear it all down (destroy). docs/provisioning.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pool/backend.hpp"
#include "pool/layout.hpp"

namespace daxpool::pool {

enum class Bus { Auto, Cxl, Nvdimm };
enum class DevMode { Devdax, Fsdax };

struct ProvisionOptions {
	uint64_t size = 0;                 // CXL: the region's size; NVDIMM: the namespace's size
	std::string name;                  // pool name (default "pool")
	DevMode mode = DevMode::Devdax;
	std::vector<std::string> memdevs;  // CXL: exactly these memdevs, in this order
	unsigned ways = 0;                 // CXL: interleave ways (0: the fewest that fit)
	Bus bus = Bus::Auto;               // Auto: CXL when memdevs are present, else NVDIMM
	bool force = false;                // overwrite what the new device holds
	// Progress lines for the operator ("creating region0 over mem0 mem1"); may be empty.
	void (*say)(const std::string &) = nullptr;
};

// A DAX device (an active devdax or fsdax namespace) and the pool it holds, if any.
struct DevicePool {
	unsigned region = 0;          // nd region id: what --region N names
	std::string nd_region;        // "region0"
	std::string cxl_region;       // "region0" for a CXL region, "" for an NVDIMM one
	std::string bus;              // "cxl" | "nvdimm"
	std::string ns;               // "namespace0.0"
	std::string mode;             // "devdax" | "fsdax"
	std::string device;           // "/dev/dax0.0" | "/dev/pmem0"
	uint64_t dev_size = 0;        // bytes of the device
	uint64_t phys = 0;            // devdax: physical address of the device's first byte
	bool system_ram = false;      // devdax bound to kmem (system-ram mode): not usable
	std::vector<std::string> memdevs;
	unsigned ways = 0;
	// The pool on it (empty name: none).
	std::string pool_name, pool_uuid;
	uint64_t pool_size = 0;
	std::string pool_problem;     // not a pool / unreadable: why
};

// Every active devdax / fsdax namespace this host sees, with the pool each holds.
std::vector<DevicePool> scan_devices();

// Creates the region (CXL), the namespace and the pool. On any failure everything it made is
// removed again and Error says why.
DevicePool create_device_pool(const ProvisionOptions &o);

// Formats a pool on DEVICE (/dev/daxX.Y or /dev/pmemN), an active devdax or fsdax namespace the
// operator provisioned (cxl create-region, ndctl create-namespace). Refuses, without FORCE, a
// device that holds a pool, a filesystem or other data libblkid recognises; refuses always a
// device in system-ram mode, mounted, or in use by a daxpool writer.
DevicePool create_pool_on_device(const std::string &device, const std::string &name, bool force,
				 void (*say)(const std::string &) = nullptr);

struct AttachOptions {
	std::vector<std::string> memdevs;  // CXL: try exactly these (in this order)
	void (*say)(const std::string &) = nullptr;
};
// Re-creates CXL regions over memdevs that have none (trying the groupings create makes, and
// keeping only regions that turn out to hold a daxpool pool), re-reads NVDIMM labels, and
// returns every pool this host now sees.
std::vector<DevicePool> attach(const AttachOptions &o);

// Removes the pool (both superblocks wiped), its namespace and, for CXL, its region. Refuses
// while any image of the pool is mounted on this host or recorded as mounted by a live host,
// and, without force, while the pool holds images.
void destroy_device_pool(const DevicePool &d, bool force, void (*say)(const std::string &) = nullptr);

// The device pool named by --region N or by a pool name / UUID; Error when none or several.
DevicePool find_device_pool(const PoolRef &ref);

// Throws Error "WHAT needs root ..." unless running as root.
void require_root(const std::string &what);

// The CXL size rule: a multiple of 256 MiB per interleave way. "" or why not, with the
// nearest valid sizes.
std::string check_region_size(uint64_t size, unsigned ways);

} // namespace daxpool::pool
