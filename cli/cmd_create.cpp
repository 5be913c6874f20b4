// SPDX-License-Identifier: GPL-2.0-only
// daxpool create --file PATH --size SIZE [--name N] [--force] [--json]
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "lib/util/size.hpp"
#include "pool/create.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::cli {

void add_create(CLI::App &app)
{
	auto *cmd = app.add_subcommand("create", "format a new pool (a file-backed pool with --file)");
	struct Opts {
		std::string file, size, name;
		bool force = false, json = false, human = false;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("--file,-f", o->file, "create a file-backed pool at this path");
	cmd->add_option("--size,-s", o->size, "pool size, a multiple of 2 MiB (" + std::string(util::size_forms) + ")")
		->required();
	cmd->add_option("--name,-n", o->name, "pool name (default: the file name)");
	cmd->add_flag("--force", o->force, "overwrite an existing file, pool or filesystem");
	cmd->add_flag("--json,-j", o->json, "print JSON");
	cmd->add_flag("--human,-u", o->human, "human-readable sizes in JSON");
	cmd->callback([o] {
		if (o->file.empty())
			throw Error("--file PATH is required: pools on devices come with provisioning (issue 6)");
		util::SizeParse size = util::parse_size_ex(o->size);
		if (!size)
			throw Error(util::size_error("--size", o->size, size));
		if (auto why = pool::check_pool_size(size.value); !why.empty())
			throw Error("--size '" + o->size + "': " + why);
		pool::CreateResult r = pool::create_file_pool({o->file, size.value, o->name, o->force});
		if (o->json) {
			Json root = json_obj();
			add(root.get(), "pool", r.name);
			add(root.get(), "file", o->file);
			add(root.get(), "uuid", util::format_uuid(r.uuid));
			add_size(root.get(), "size", r.size, o->human);
			add(root.get(), "catalog_slots", r.catalog_slots);
			print(root.get());
		} else {
			std::printf("created pool %s in %s: %s, uuid %s, room for %llu images\n", r.name.c_str(), o->file.c_str(),
				    util::format_size(r.size).c_str(), util::format_uuid(r.uuid).c_str(),
				    static_cast<unsigned long long>(r.catalog_slots));
		}
	});
}

} // namespace daxpool::cli
