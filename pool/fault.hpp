// SPDX-License-Identifier: GPL-2.0-only
// Test-only crash injection. With DAXPOOL_FAULT=POINT:N the process kills itself with SIGKILL
// (no destructors, no flushes, like kill -9) at the Nth time it reaches the named point;
// DAXPOOL_FAULT=any:N counts every named point. Unset (always, outside tests): a no-op.
#pragma once

#include <functional>

namespace daxpool::pool {

void fault_point(const char *name);

// Test-only, in-process: `hook` is called with the point's name every time a fault point is
// reached (before DAXPOOL_FAULT is considered), e.g. to change the pool or a source file at
// exactly that moment. An empty function removes it. Not thread-safe; never set outside tests.
void set_fault_hook(std::function<void(const char *)> hook);

} // namespace daxpool::pool
