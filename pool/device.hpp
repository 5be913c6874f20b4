// SPDX-License-Identifier: GPL-2.0-only
// Backends for pools on DAX devices: a device-dax instance (mapped) or an fsdax block device
// (O_DIRECT through a block-granular shadow). pool/device.cpp says how each keeps the page
// cache out of the way.
#pragma once

#include <memory>
#include <string>

#include "pool/backend.hpp"

namespace daxpool::pool {

// PATH is /dev/daxX.Y (character device) or /dev/pmemN (block device). NAME is what messages
// call the pool ("region 0"); empty: the path.
std::unique_ptr<Backend> open_device_backend(const std::string &path, Access access, const std::string &name = "");

} // namespace daxpool::pool
