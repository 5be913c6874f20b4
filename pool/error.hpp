// SPDX-License-Identifier: GPL-2.0-only
// libdaxpool's error: a message for the operator naming the pool, image or flag concerned.
#pragma once

#include <stdexcept>
#include <string>

namespace daxpool::pool {

struct Error : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// The path is not a pool (no valid superblock copy). damaged: a copy still carries the pool
// magic (a damaged pool, for fsck); otherwise nothing there says "pool" (never made, destroyed,
// wiped, an empty file, another signature).
struct NotAPool : Error {
	bool damaged = false;
	explicit NotAPool(const std::string &what, bool damaged_pool = false) : Error(what), damaged(damaged_pool) {}
};

// "what: strerror(err)"
[[noreturn]] void throw_errno(const std::string &what, int err);

} // namespace daxpool::pool
