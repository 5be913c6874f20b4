// SPDX-License-Identifier: GPL-2.0-only
// Backends for pools on DAX devices: a device-dax instance (mapped) or an fsdax block device
// (O_DIRECT through a block-granular shadow). pool/device.cpp says how each keeps the page
// cache out of the way.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "pool/backend.hpp"

namespace daxpool::pool {

// PATH is /dev/daxX.Y (character device) or /dev/pmemN (block device). NAME is what messages
// call the pool ("region 0"); empty: the path.
std::unique_ptr<Backend> open_device_backend(const std::string &path, Access access, const std::string &name = "");

// Asks udev to probe device node PATH again (a "change" uevent through sysfs), after a pool was
// laid on it or wiped: devdax character devices have no inotify watch, so nothing else tells
// udev (its link /dev/daxpool/NAME and the pool's units follow the probe). Best effort: false
// when the event could not be sent (no sysfs, not a device), which changes nothing else.
// SETTLE > 0: then waits, at most that long, until udev ran its rules for this event (as
// `udevadm trigger --settle`; not when udevd is not running): before a device is removed, so
// that udev reads it while it is there (a probe that cannot read it keeps the last values,
// the pool's units with them, and they would be started again).
bool udev_reprobe(const std::string &path, std::chrono::milliseconds settle = {});

} // namespace daxpool::pool
