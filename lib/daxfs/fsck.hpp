// SPDX-License-Identifier: GPL-2.0-only
// fsck: everything that can be checked about an image: the validator (structure, CRCs), the
// whole-image digest, and the zero padding the format requires (superblock page, file tails).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/daxfs/digest.hpp"

namespace daxpool::daxfs {

struct FsckReport {
	std::vector<std::string> problems; // empty: clean
	bool structure_ok = false;         // the validator accepted the image
	bool digest_ok = false;
	Digest recorded{}, computed{};
	uint32_t inodes = 0;
	uint64_t size = 0;
	bool ok() const { return problems.empty(); }
};

// Never throws for a bad image (that is what the report is for); throws Error if the file cannot
// be opened or mapped.
FsckReport fsck(const std::string &path);
FsckReport fsck_bytes(std::span<const uint8_t> bytes);

} // namespace daxpool::daxfs
