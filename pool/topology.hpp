// SPDX-License-Identifier: GPL-2.0-only
// What DAX-capable hardware this host sees: CXL memdevs and regions, NVDIMM regions and
// namespaces, dax devices. Read through libcxl / libndctl / libdaxctl.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daxpool {

struct MemdevInfo {
	std::string name;     // mem0
	uint64_t serial = 0;
	uint64_t pmem_size = 0;
	uint64_t pmem_free = 0;   // pmem capacity no endpoint decoder has allocated
	std::string region;       // a CXL region using it, or empty
};

struct RootDecoderInfo {
	std::string name;         // decoder0.0
	bool pmem = false;        // can hold pmem regions
	uint64_t size = 0;        // the window
	uint64_t available = 0;   // largest free extent of the window
};

struct CxlRegionInfo {
	std::string name;     // region0
	std::string decoder;  // root decoder, decoder0.0
	uint64_t size = 0;
	unsigned ways = 0;
	bool enabled = false;
};

struct NamespaceInfo {
	std::string region;   // nd region, region0
	std::string name;     // namespace0.0
	std::string mode;     // devdax, fsdax, raw, ...
	std::string device;   // dax0.0, pmem0, or empty
	uint64_t size = 0;
	std::string bus;      // "cxl" (nd bus of provider CXL) or "nvdimm"
};

struct Topology {
	std::vector<MemdevInfo> memdevs;
	std::vector<RootDecoderInfo> root_decoders;
	std::vector<CxlRegionInfo> cxl_regions;
	std::vector<NamespaceInfo> namespaces;
};

Topology read_topology();

} // namespace daxpool
