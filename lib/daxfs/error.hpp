// SPDX-License-Identifier: GPL-2.0-only
// The error type of libdaxfs: a message for the operator, naming the file or image concerned.
#pragma once

#include <stdexcept>

namespace daxpool::daxfs {

struct Error : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// "what: strerror(err)"
[[noreturn]] void throw_errno(const std::string &what, int err);

} // namespace daxpool::daxfs
