// SPDX-License-Identifier: GPL-2.0-only
// daxpool automount NAME DIR | NAME --clear (--pool P | --region N) [-j] [-u]: where hosts mount
// the image at boot (daxpool-automount@.service runs daxpool mount --all).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "cli/pool_print.hpp"
#include "pool/pool.hpp"

namespace daxpool::cli {

void add_automount(CLI::App &app)
{
	auto *cmd = app.add_subcommand("automount", "set or clear where hosts mount an image at boot");
	struct Opts {
		std::string name, dir;
		PoolOpts pool;
		bool clear = false, json = false, human = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("NAME", o->name, "the image's name in the pool")->required();
	auto *dir = cmd->add_option("DIR", o->dir, "the absolute path hosts mount it at (created there if missing)");
	cmd->add_flag("--clear", o->clear, "no longer mount it at boot")->excludes(dir);
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("-j,--json", o->json, "print the image as JSON");
	cmd->add_flag("-u,--human", o->human, "human-readable sizes in JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		if (o->dir.empty() && !o->clear)
			throw Error("give the path to mount it at (daxpool automount NAME DIR), or --clear");
		pool::PoolRef ref = o->pool.ref();
		auto p = pool::Pool::open(ref, pool::Access::ReadWrite);
		pool::ImageInfo img =
			p->set_automount(o->name, o->dir, [] { note("waiting for another writer of this pool..."); });
		if (o->json) {
			Json j = image_json(img, o->human);
			print(j.get());
		} else if (!quiet()) {
			if (img.automount.empty())
				std::printf("'%s' of %s is no longer mounted at boot\n", img.name.c_str(), ref.display().c_str());
			else
				std::printf("'%s' of %s is mounted at %s at boot\n", img.name.c_str(), ref.display().c_str(),
					    img.automount.c_str());
		}
	});
}

} // namespace daxpool::cli
