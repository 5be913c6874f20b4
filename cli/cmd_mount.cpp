// SPDX-License-Identifier: GPL-2.0-only
// daxpool mount NAME DIR (--region N | --pool P) [--suid] [--dev] [--json]; daxpool umount DIR.
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
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("image", o->name, "the image's name in the pool")->required();
	cmd->add_option("dir", o->dir, "the mount point (an existing directory)")->required();
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--suid", o->mo.suid, "honour setuid/setgid bits and file capabilities (default: nosuid)");
	cmd->add_flag("--dev", o->mo.dev, "allow device nodes (default: nodev)");
	cmd->add_flag("--json,-j", o->json, "print JSON");
	cmd->callback([o] {
		pool::MountResult r = pool::mount_image(o->pool.ref(), o->name, o->dir, o->mo);
		if (o->json) {
			Json j = json_obj();
			add(j.get(), "image", r.image.name);
			add(j.get(), "pool", r.device.pool_name);
			add(j.get(), "region", r.device.region);
			add(j.get(), "device", r.device.device);
			add(j.get(), "offset", r.image.offset);
			add(j.get(), "mountpoint", r.mountpoint);
			add(j.get(), "options", r.data);
			print(j.get());
		} else {
			std::printf("mounted %s of pool %s (%s at offset %llu) on %s\n", r.image.name.c_str(),
				    r.device.pool_name.c_str(), r.device.device.c_str(),
				    static_cast<unsigned long long>(r.image.offset), r.mountpoint.c_str());
		}
		if (!r.agent)
			std::fprintf(stderr,
				     "daxpool: note: no `daxpool agent` beats for this host in pool %s: other hosts will "
				     "see this mount's host as expired once its lease passes (start the agent: docs/multihost.md)\n",
				     r.device.pool_name.c_str());
	});
}

void add_umount(CLI::App &app)
{
	auto *cmd = app.add_subcommand("umount", "unmount a daxfs mount");
	auto dir = std::make_shared<std::string>();
	cmd->add_option("dir", *dir, "the mount point")->required();
	cmd->callback([dir] {
		std::string warn;
		pool::DaxfsMount m = pool::umount_image(*dir, warn);
		std::printf("unmounted %s (%s)\n", m.mountpoint.c_str(), m.source.c_str());
		if (!warn.empty())
			std::fprintf(stderr, "daxpool: warning: %s: %s\n", m.mountpoint.c_str(), warn.c_str());
	});
}

} // namespace daxpool::cli
