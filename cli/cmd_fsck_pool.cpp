// SPDX-License-Identifier: GPL-2.0-only
// daxpool fsck --pool P [--repair] [--json]: exit statuses as fsck(8): 0 consistent, 1 every
// problem corrected by --repair, 4 problems left; notes (e.g. an interrupted load) do not count.
#include <cstdio>

#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "pool/fsck.hpp"

namespace daxpool::cli {

int fsck_pool_cmd(const pool::PoolRef &ref, bool repair, bool json)
{
	pool::PoolFsckReport r = pool::fsck_pool(ref, repair);
	unsigned problems = 0, unfixed = 0;
	for (const auto &f : r.findings)
		if (f.kind == pool::Finding::Problem) {
			problems++;
			unfixed += !f.fixed;
		}
	if (json) {
		Json root = json_obj();
		add(root.get(), "pool_ref", ref.display());
		add(root.get(), "clean", r.ok());
		add(root.get(), "repaired", r.repaired);
		add(root.get(), "sealed_images_checked", static_cast<uint64_t>(r.sealed_checked));
		Json arr = json_arr();
		for (const auto &f : r.findings) {
			Json o = json_obj();
			add(o.get(), "kind", f.kind == pool::Finding::Problem ? "problem" : "note");
			add(o.get(), "what", f.what);
			if (!f.fix.empty())
				add(o.get(), "fix", f.fix);
			add(o.get(), "fixed", f.fixed);
			push(arr.get(), std::move(o));
		}
		add(root.get(), "findings", std::move(arr));
		print(root.get());
	} else {
		for (const auto &f : r.findings) {
			const char *kind = f.kind == pool::Finding::Problem ? "problem" : "note";
			if (f.fixed)
				std::printf("%s: %s\n  fixed: %s\n", kind, f.what.c_str(), f.fix.c_str());
			else if (!f.fix.empty())
				std::printf("%s: %s\n  --repair would: %s\n", kind, f.what.c_str(), f.fix.c_str());
			else
				std::printf("%s: %s\n", kind, f.what.c_str());
		}
		if (r.ok())
			std::printf("%s: %s, %u sealed image(s) checked\n", ref.display().c_str(),
				    problems ? "repaired" : "clean", r.sealed_checked);
	}
	if (!r.ok())
		throw ExitStatus(FSCK_UNCORRECTED, "pool " + ref.display() + ": " + std::to_string(unfixed) +
							   " problem(s)" +
							   (repair ? " left after repair" : "; run with --repair to fix them"));
	return problems ? FSCK_CORRECTED : FSCK_CLEAN;
}

} // namespace daxpool::cli
