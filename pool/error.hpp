// SPDX-License-Identifier: GPL-2.0-only
// libdaxpool's error: a message for the operator naming the pool, image or flag concerned.
#pragma once

#include <stdexcept>
#include <string>

namespace daxpool::pool {

struct Error : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// The path is not a pool (no valid superblock copy).
struct NotAPool : Error {
	using Error::Error;
};

// "what: strerror(err)"
[[noreturn]] void throw_errno(const std::string &what, int err);

} // namespace daxpool::pool
