// SPDX-License-Identifier: GPL-2.0-only
// The host table: one slot per host, written only by its owner (docs/pool-format.md, "Host
// table"). Its contents come with the multi-host protocol (issue 7); this is where unload and
// reclaim ask it whether any live host has an image mounted.
#pragma once

#include <string>
#include <vector>

#include "pool/layout.hpp"

namespace daxpool::pool {

class Pool;

// Hosts (by name) whose host-table slot lists the image (id, generation) as mounted. Issue 7
// reads the slots here (invalidating first) and checks their heartbeats; until then no host
// records mounts, so the list is empty.
std::vector<std::string> mounted_by(Pool &pool, const CatalogEntry &e);

} // namespace daxpool::pool
