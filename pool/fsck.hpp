// SPDX-License-Identifier: GPL-2.0-only
// Pool fsck: both superblocks, every catalog slot, extents, every sealed image (validator +
// digest). Repairs only when asked, reporting each fix.
#pragma once

#include <string>
#include <vector>

#include "pool/backend.hpp"

namespace daxpool::pool {

struct Finding {
	enum Kind { Problem, Note } kind = Problem; // a Note is a consistent state worth telling
	std::string what;
	std::string fix;     // what --repair does ("" = nothing to do)
	bool fixed = false;
};

struct PoolFsckReport {
	std::string pool;    // display name
	std::vector<Finding> findings;
	unsigned sealed_checked = 0;
	bool repaired = false;  // --repair changed something
	bool ok() const
	{
		for (const auto &f : findings)
			if (f.kind == Finding::Problem && !f.fixed)
				return false;
		return true;
	}
};

// Throws NotAPool when neither superblock is valid (nothing fsck can repair), Error when the
// pool cannot be opened. With repair, holds the writer lock, fixes, and checks again.
PoolFsckReport fsck_pool(const PoolRef &ref, bool repair);

} // namespace daxpool::pool
