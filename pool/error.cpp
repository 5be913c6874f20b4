// SPDX-License-Identifier: GPL-2.0-only
#include "pool/error.hpp"

#include <cstring>

namespace daxpool::pool {

void throw_errno(const std::string &what, int err) { throw Error(what + ": " + std::strerror(err)); }

} // namespace daxpool::pool
