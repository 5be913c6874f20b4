// SPDX-License-Identifier: GPL-2.0-only
// daxpool fsck IMAGE: validator + digest + padding.
// daxpool fsck --pool P [--repair]: the pool (pool/fsck.hpp); see cmd_fsck_pool.cpp.
// Exit statuses as fsck(8): 0 clean, 1 errors corrected, 4 errors left uncorrected, 8
// operational error (cannot read it, not a pool), 16 usage error.
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
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	auto *img = cmd->add_option("IMAGE", o->image, "image file");
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--repair", o->repair, "with --pool: repair what is wrong, reporting each fix");
	cmd->add_flag("-j,--json", o->json, "print JSON");
	add_verbosity(cmd, o->v);
	cmd->footer("Exit status (as fsck(8)): 0 clean, 1 errors corrected (--repair fixed every problem), 4 errors "
		    "left uncorrected, 8 operational error (cannot read it, not a pool), 16 usage error.\n");
	cmd->callback([o, img] {
		set_verbosity(o->v);
		bool pool = o->pool.given();
		if (pool && img->count())
			throw CLI::ValidationError("give either IMAGE or --pool/--region, not both");
		if (!pool && !img->count())
			throw CLI::ValidationError("nothing to check: give an IMAGE file or --pool P");
		if (!pool && o->repair)
			throw CLI::ValidationError("--repair applies to pools (--pool P); images are repaired by rebuilding them");
		int status = FSCK_CLEAN;
		try {
			status = pool ? fsck_pool_cmd(o->pool.ref(), o->repair, o->json) : fsck_image(o->image, o->json);
		} catch (const ExitStatus &) {
			throw;
		} catch (const std::exception &e) {
			throw ExitStatus(FSCK_OPERATIONAL, e.what());
		}
		if (status != FSCK_CLEAN)
			throw ExitStatus(status, "");
	});
}

int fsck_image(const std::string &image, bool json)
{
	daxfs::FsckReport r = daxfs::fsck(image);
	if (json) {
		Json root = json_obj();
		add(root.get(), "image", image);
		add(root.get(), "clean", r.ok());
		add(root.get(), "structure_ok", r.structure_ok);
		if (r.structure_ok) {
			add(root.get(), "digest_ok", r.digest_ok);
			add(root.get(), "digest", "xxh3-128:" + util::hex(r.recorded));
			add(root.get(), "inodes", static_cast<uint64_t>(r.inodes));
			add(root.get(), "size", r.size);
		}
		Json probs = json_arr();
		for (const auto &p : r.problems)
			json_object_array_add(probs.get(), json_object_new_string(p.c_str()));
		add(root.get(), "problems", std::move(probs));
		print(root.get());
	} else if (r.ok()) {
		std::printf("%s: clean, %u inodes, %llu bytes, digest xxh3-128:%s\n", image.c_str(), r.inodes,
			    static_cast<unsigned long long>(r.size), util::hex(r.recorded).c_str());
	}
	if (!r.ok()) {
		std::string msg = image + " is damaged:";
		for (const auto &p : r.problems)
			msg += "\n  " + p;
		throw ExitStatus(FSCK_UNCORRECTED, msg);
	}
	return FSCK_CLEAN;
}

} // namespace daxpool::cli
