// SPDX-License-Identifier: GPL-2.0-only
// The model test of the multi-host protocol (docs/multihost.md, "Tests"): N processes
// (model_host run) play N hosts with their own machine-id and boot id against one file-backed
// pool, loading, unloading (sometimes with --force), mounting and unmounting at random with
// random delays, while this driver SIGKILLs hosts at random and brings them back as a new boot.
//
// Checked continuously: no two extents in force overlap and every entry's fields are valid;
// every MOUNTED record of a host that stayed alive names an image that is SEALED or RETIRED; each
// host checks the bytes of the images it has mounted and that nobody else is in the writer role
// while it is (exit 3 = violation). At the end: fsck clean, and once every host has expired, a
// --force unload of everything gives back the whole data area (nothing leaked).
//
// Each host is DAXPOOL_SOAK_PROCS processes (default 2) with one identity, so processes of one
// host also meet (local writer lock, slot lock); a host crash kills them all and brings them back
// as a new boot, and now and then a single process dies on a host that lives on.
//
// The driver is tests/unit/model_driver.cpp (shared with test_pool_sim.cpp, the same model on the
// non-coherent memory simulator). Seeds are fixed. Soak: DAXPOOL_SOAK_SECONDS (default 12), DAXPOOL_SOAK_HOSTS (default 4),
// DAXPOOL_SOAK_SEED (default 1), e.g.
//   DAXPOOL_SOAK_SECONDS=600 DAXPOOL_SOAK_HOSTS=6 DAXPOOL_SOAK_SEED=7 build/tests/unit/test_pool_multihost
#include <catch2/catch.hpp>

#include "tests/unit/model_driver.hpp"

TEST_CASE("model: N hosts load, unload, mount, unmount and crash against one pool", "[pool][multihost]")
{
	model::Config c;
	c.min_loads = 10;
	c.min_mounts = 10;
	model::run(model::from_env(c));
}
