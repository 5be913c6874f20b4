// SPDX-License-Identifier: GPL-2.0-only
// daxpool mount NAME DIR (--region N | --pool P) [--suid] [--dev] [-j]; daxpool umount DIR;
// daxpool mount --all / umount --all [--pool P] (the images marked for automount).
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "pool/config.hpp"
#include "pool/mounts.hpp"

namespace daxpool::cli {

namespace {

// mount --all / umount --all: one line (or JSON object) per image; failures make the exit
// status 1 after every image was tried.
void run_all(bool mount, const PoolOpts &po, bool json)
{
	for (const auto &u : pool::host_config().unknown)
		warn(u + ": not a daxpool setting (ignored)");
	for (const auto &w : pool::host_config().warnings)
		warn(w);
	std::optional<pool::PoolRef> ref;
	if (po.given())
		ref = po.ref();
	pool::AutomountPolicy policy = pool::AutomountPolicy::from_settings();
	auto res = mount ? pool::mount_all(ref, policy) : pool::umount_all(ref, policy);
	Json arr = json_arr();
	std::string failed;
	for (const auto &a : res) {
		if (a.action == pool::AutoMount::Failed)
			failed += (failed.empty() ? "" : ", ") + a.pool + "/" + a.image;
		if (json) {
			Json j = json_obj();
			add(j.get(), "pool", a.pool);
			add(j.get(), "image", a.image);
			if (!a.path.empty())
				add(j.get(), "mountpoint", a.path);
			add(j.get(), "action", a.action_name());
			if (!a.message.empty())
				add(j.get(), "message", a.message);
			push(arr.get(), std::move(j));
			continue;
		}
		std::string what = a.pool + "/" + a.image + (a.path.empty() ? "" : " at " + a.path);
		if (a.action == pool::AutoMount::Failed)
			warn(what + ": " + a.message);
		else if (a.action == pool::AutoMount::Skipped)
			note("not mounting " + what + ": " + a.message);
		else if (!quiet())
			std::printf("%s %s\n", a.action_name(), what.c_str());
		if (a.action != pool::AutoMount::Failed && !a.message.empty() && a.action != pool::AutoMount::Skipped)
			warn(what + ": " + a.message);
	}
	if (json)
		print(arr.get());
	if (!failed.empty())
		throw Error(std::string(mount ? "could not mount " : "could not unmount ") + failed);
}

} // namespace

void add_mount(CLI::App &app)
{
	auto *cmd = app.add_subcommand("mount", "mount a sealed image of a device pool read-only with daxfs");
	struct Opts {
		PoolOpts pool;
		std::string name, dir;
		pool::MountOptions mo;
		bool json = false, all = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	auto *img = cmd->add_option("image", o->name, "the image's name in the pool");
	auto *dir = cmd->add_option("dir", o->dir, "the mount point (an existing directory)");
	auto *all = cmd->add_flag("-a,--all", o->all,
				  "mount every image marked for automount (of the pool given, else of every pool on this "
				  "host) at its path, as daxpool-automount@.service does at boot");
	all->excludes(img)->excludes(dir);
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("--suid", o->mo.suid, "honour setuid/setgid bits and file capabilities (default: nosuid)");
	cmd->add_flag("--dev", o->mo.dev, "allow device nodes (default: nodev)");
	cmd->add_flag("-j,--json", o->json, "print the mount as JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		if (o->all) {
			if (o->mo.suid || o->mo.dev)
				throw Error("--all mounts with the defaults (nosuid, nodev): --suid and --dev are for one image");
			run_all(true, o->pool, o->json);
			return;
		}
		if (o->name.empty() || o->dir.empty())
			throw Error("give an image and a mount point (daxpool mount IMAGE DIR --pool P), or --all");
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
		PoolOpts pool;
		bool all = false, json = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	auto *dir = cmd->add_option("dir", o->dir, "the mount point");
	cmd->add_flag("-a,--all", o->all,
		      "unmount what mount --all mounts (of the pool given, else of every pool on this host)")
		->excludes(dir);
	add_pool_opts(cmd, o->pool);
	cmd->add_flag("-j,--json", o->json, "with --all: print what was done as JSON");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		if (o->all) {
			run_all(false, o->pool, o->json);
			return;
		}
		if (o->dir.empty())
			throw Error("give a mount point (daxpool umount DIR), or --all");
		if (o->pool.given() || o->json)
			throw Error("--pool, --region and --json go with --all only (daxpool umount DIR finds the pool itself)");
		std::string why;
		pool::DaxfsMount m = pool::umount_image(o->dir, why);
		if (!quiet())
			std::printf("unmounted %s (%s)\n", m.mountpoint.c_str(), m.source.c_str());
		if (!why.empty())
			warn(m.mountpoint + ": " + why);
	});
}

} // namespace daxpool::cli
