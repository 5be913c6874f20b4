// SPDX-License-Identifier: GPL-2.0-only
// daxpool mount NAME DIR (--region N | --pool P) [--suid] [--dev] [-j]; daxpool umount DIR.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "pool/mounts.hpp"

namespace daxpool::cli {

void add_mount(CLI::App &app)
{
	auto *cmd = app.add_subcommand("mount", "mount a sealed image of a device pool read-only with daxfs");
	struct Opts {
		PoolOpts pool;
		std::string name, dir;
		pool::MountOptions mo;
		bool json = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("image", o->name, "the image's name in the pool")->required();
	cmd->add_option("dir", o->dir, "the mount point (an existing directory)")->required();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--suid", o->mo.suid, "honour setuid/setgid bits and file capabilities (default: nosuid)");
	cmd->add_flag("--dev", o->mo.dev, "allow device nodes (default: nodev)");
	cmd->add_flag("-j,--json", o->json, "print the mount as JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		pool::MountResult r = pool::mount_image(o->pool.ref(), o->name, o->dir, o->mo);
		if (o->json) {
			Json j = json_obj();
			add(j.get(), "image", r.image.name);
			add(j.get(), "pool", r.device.pool_name);
			add(j.get(), "region", r.device.nd_region);
			add(j.get(), "device", r.device.device);
			add(j.get(), "offset", r.image.offset);
			add(j.get(), "mountpoint", r.mountpoint);
			add(j.get(), "options", r.data);
			print(j.get());
		} else if (!quiet()) {
			std::printf("mounted %s of pool %s (%s at offset %llu) on %s\n", r.image.name.c_str(),
				    r.device.pool_name.c_str(), r.device.device.c_str(),
				    static_cast<unsigned long long>(r.image.offset), r.mountpoint.c_str());
		}
		if (!r.agent)
			note("note: no `daxpool agent` beats for this host in pool " + r.device.pool_name +
			     ": other hosts will see this mount's host as expired once its lease passes (start the agent: "
			     "docs/multihost.md)");
	});
}

void add_umount(CLI::App &app)
{
	auto *cmd = app.add_subcommand("umount", "unmount a daxfs mount");
	struct Opts {
		std::string dir;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("dir", o->dir, "the mount point")->required();
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		std::string why;
		pool::DaxfsMount m = pool::umount_image(o->dir, why);
		if (!quiet())
			std::printf("unmounted %s (%s)\n", m.mountpoint.c_str(), m.source.c_str());
		if (!why.empty())
			warn(m.mountpoint + ": " + why);
	});
}

} // namespace daxpool::cli
