// SPDX-License-Identifier: GPL-2.0-only
// How pools and images are shown: JSON objects (ndctl style, -u for human sizes) and text.
#pragma once

#include <string>

#include "cli/json.hpp"
#include "pool/pool.hpp"
#include "pool/provision.hpp"

namespace daxpool::cli {

std::string digest_hex(const pool::ImageInfo &img);
Json image_json(const pool::ImageInfo &img, bool human);
// The one shape of "writer" (who wrote an image, who holds the writer role): machine_id (the
// application-specific id, pool/identity.hpp), boot_id (omitted when empty), pid.
Json writer_json(const std::string &machine_id, const std::string &boot_id, uint32_t pid);
Json pool_json(const pool::PoolInfo &p, bool human);
void print_pool_text(const pool::PoolInfo &p, bool all);
// A DAX device and the pool on it (daxpool list, create, attach).
Json device_json(const pool::DevicePool &d, bool human);
void print_device_text(const pool::DevicePool &d);

} // namespace daxpool::cli
