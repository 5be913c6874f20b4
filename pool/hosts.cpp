// SPDX-License-Identifier: GPL-2.0-only
#include "pool/hosts.hpp"

namespace daxpool::pool {

std::vector<std::string> mounted_by(Pool &, const CatalogEntry &) { return {}; }

} // namespace daxpool::pool
