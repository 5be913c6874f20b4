// SPDX-License-Identifier: GPL-2.0-only
// The clocks of the multi-host protocol (docs/multihost.md, "Clocks"). Liveness is judged only by
// change observed on this host's own CLOCK_BOOTTIME; CLOCK_REALTIME goes into the pool for
// messages only (another host's realtime is never compared with ours).
//
// Tests (the non-coherent simulator, tests/unit/sim_*) shift and freeze the clocks of one
// simulated host: DAXPOOL_TEST_CLOCK_OFFSET_MS (signed) is added to realtime; the file named by
// DAXPOOL_TEST_FREEZE_FILE holds a decimal number of nanoseconds subtracted from both clocks
// (the driver of a pause adds the pause's length before it resumes the host, as the clocks of
// a paused VM do not advance).
#pragma once

#include <cstdint>
#include <string>

namespace daxpool::pool {

int64_t realtime_ns();
int64_t boottime_ns();
// "2026-11-24T04:30:01Z" (UTC) of a realtime ns value.
std::string format_time(int64_t realtime_ns);

} // namespace daxpool::pool
