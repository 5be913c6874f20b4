// SPDX-License-Identifier: GPL-2.0-only
// daxpool fsck IMAGE: validator + digest + padding; exit 0 when clean.
// daxpool fsck --pool P [--repair]: the pool (pool/fsck.hpp); see cmd_fsck_pool.cpp.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::cli {

void add_fsck(CLI::App &app)
{
	auto *cmd = app.add_subcommand("fsck", "check a daxfs image (IMAGE) or a pool (--pool P [--repair])");
	struct Opts {
		std::string image;
		bool json = false, repair = false;
		PoolOpts pool;
	};
	auto o = std::make_shared<Opts>();
	auto *img = cmd->add_option("IMAGE", o->image, "image file");
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--repair", o->repair, "with --pool: repair what is wrong, reporting each fix");
	cmd->add_flag("--json,-j", o->json, "print JSON");
	cmd->callback([o, img] {
		bool pool = !o->pool.path.empty() || o->pool.region_opt->count();
		if (pool && img->count())
			throw Error("give either IMAGE or --pool/--region, not both");
		if (pool)
			return fsck_pool_cmd(o->pool.ref(), o->repair, o->json);
		if (!img->count())
			throw Error("nothing to check: give an IMAGE file or --pool P");
		if (o->repair)
			throw Error("--repair applies to pools (--pool P); images are repaired by rebuilding them");
		daxfs::FsckReport r = daxfs::fsck(o->image);
		if (o->json) {
			Json root = json_obj();
			add(root.get(), "image", o->image);
			add(root.get(), "clean", r.ok());
			add(root.get(), "structure_ok", r.structure_ok);
			if (r.structure_ok) {
				add(root.get(), "digest_ok", r.digest_ok);
				add(root.get(), "digest", util::hex(r.recorded));
				add(root.get(), "inodes", static_cast<uint64_t>(r.inodes));
				add(root.get(), "size", r.size);
			}
			Json probs = json_arr();
			for (const auto &p : r.problems)
				json_object_array_add(probs.get(), json_object_new_string(p.c_str()));
			add(root.get(), "problems", std::move(probs));
			print(root.get());
		} else if (r.ok()) {
			std::printf("%s: clean, %u inodes, %llu bytes, digest xxh3-128:%s\n", o->image.c_str(), r.inodes,
				    static_cast<unsigned long long>(r.size), util::hex(r.recorded).c_str());
		}
		if (!r.ok()) {
			std::string msg = o->image + " is damaged:";
			for (const auto &p : r.problems)
				msg += "\n  " + p;
			throw Error(msg);
		}
	});
}

} // namespace daxpool::cli
