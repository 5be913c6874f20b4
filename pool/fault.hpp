// SPDX-License-Identifier: GPL-2.0-only
// Test-only crash injection. With DAXPOOL_FAULT=POINT:N the process kills itself with SIGKILL
// (no destructors, no flushes, like kill -9) at the Nth time it reaches the named point;
// DAXPOOL_FAULT=any:N counts every named point. Unset (always, outside tests): a no-op.
#pragma once

namespace daxpool::pool {

void fault_point(const char *name);

} // namespace daxpool::pool
