// SPDX-License-Identifier: GPL-2.0-only
// The driver of the multi-host model test (docs/multihost.md, "Tests"; docs/sim.md): N hosts of
// model_host processes against one pool, host crashes and process kills, and optionally the
// non-coherent memory simulator, per-host clock offsets and pauses with frozen clocks.
#pragma once

#include <cstdint>
#include <vector>

namespace model {

struct Config {
	unsigned seed = 1, seconds = 12, hosts = 4, procs = 2;
	// Every host on the non-coherent memory simulator (sim_memory.hpp); the driver lands a
	// killed process's stores at once and writes its dirty lines back at a random later time.
	bool sim = false;
	// Every load builds a new image (its own uuid and digest).
	bool unique_images = false;
	// DAXPOOL_TEST_CLOCK_OFFSET_MS of host i: clock_offsets_ms[i % size] (empty: none).
	std::vector<int64_t> clock_offsets_ms;
	// Now and then a whole host is SIGSTOPped past lease + margin and resumed with its clocks
	// frozen over the pause (a paused VM).
	bool pauses = false;
	// Simulator: also pause a host in the middle of a bulk store (image data). Off: such a
	// pause would break assumption A2 (docs/multihost.md), which no lease can cover.
	bool pause_anywhere = false;
	// The paused host's clocks stand still over a pause (a paused VM). Off: they run on (a
	// stopped process on a running host), which a lease sees: a check of the test itself.
	bool freeze = true;
	// A run that does less than this fails (loads and mounts that returned success, from the
	// ledger; successful unloads).
	unsigned min_loads = 0, min_mounts = 0, min_unloads = 0;
};

// Runs one model test with Catch2 assertions; prints a summary line.
void run(const Config &c);

// DAXPOOL_SOAK_* overrides of c (seconds, hosts, procs, seed).
Config from_env(Config c);

} // namespace model
