// SPDX-License-Identifier: GPL-2.0-only
// --pool PATH | --region N, shared by the commands that work on an existing pool.
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "pool/backend.hpp"

namespace daxpool::cli {

struct PoolOpts {
	std::string path;
	std::string region; // N or regionN
	CLI::Option *region_opt = nullptr;
	bool given() const { return !path.empty() || (region_opt && region_opt->count()); }
	pool::PoolRef ref() const
	{
		pool::PoolRef r;
		r.path = path;
		if (region_opt && region_opt->count())
			r.region = parse_region(region);
		if (r.path.empty() && !r.region)
			throw Error("no pool given: use --pool FILE|NAME or --region N");
		return r;
	}
};

inline void add_pool_opts(CLI::App *cmd, PoolOpts &o)
{
	auto *p = cmd->add_option("--pool,-p", o.path, "the pool: a file-backed pool's path, a device (/dev/dax0.0), or a pool name / UUID");
	o.region_opt = cmd->add_option("--region,-r", o.region, "the pool on region N (device pools; N or regionN, as ndctl names it)")
			   ->check(region_validator());
	p->excludes(o.region_opt);
}

// daxpool fsck --pool P [--repair] [--json] (cmd_fsck_pool.cpp).
// Returns the fsck(8) exit status.
int fsck_pool_cmd(const pool::PoolRef &ref, bool repair, bool json);
// daxpool fsck IMAGE [--json]: FSCK_CLEAN, or ExitStatus(FSCK_UNCORRECTED).
int fsck_image(const std::string &image, bool json);

} // namespace daxpool::cli
