// SPDX-License-Identifier: GPL-2.0-only
// daxpool mount --all / umount --all: the images of a pool marked for automount (the pool's
// automount table, with this host's settings over it: pool/config.hpp), mounted or unmounted
// as daxpool-automount@.service does at boot and at stop.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/util/fd.hpp"
#include "pool/config.hpp"
#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/mounts.hpp"

namespace daxpool::pool {

namespace {

// The mount point DIR, made safe to mount on as root: every component, from /, a directory
// (no symlink is followed: openat O_NOFOLLOW), owned by root and writable by nobody else, so no
// other user can redirect the mount between this check and mount(2); missing ones are made
// (0755, as systemd does for a mount unit's Where=); the last one empty (nothing hidden under
// the mount). DIR is canonical (check_automount_path).
void safe_mountpoint(const std::string &dir)
{
	util::Fd cur(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
	if (!cur)
		throw_errno("cannot open /", errno);
	std::string at = "";
	auto check = [&](int fd, const std::string &p) {
		struct stat st;
		if (::fstat(fd, &st) < 0)
			throw_errno("cannot stat " + p, errno);
		if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
			throw Error("will not mount at " + dir + ": " + p +
				    " is not owned by root or is writable by others (another user could redirect the mount)");
	};
	check(cur.get(), "/");
	for (size_t i = 1; i <= dir.size();) {
		size_t j = dir.find('/', i);
		if (j == std::string::npos)
			j = dir.size();
		std::string name = dir.substr(i, j - i);
		at += "/" + name;
		int fd = ::openat(cur.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (::mkdirat(cur.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
				throw_errno("cannot create the mount point " + at, errno);
			fd = ::openat(cur.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			throw Error("will not mount at " + dir + ": " + at +
				    (errno == ENOTDIR ? " is a symlink or not a directory" : ": " + std::string(std::strerror(errno))));
		util::Fd next(fd);
		check(next.get(), at);
		cur = std::move(next);
		i = j + 1;
	}
	util::Fd rd(::openat(cur.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	DIR *d = rd ? ::fdopendir(rd.get()) : nullptr;
	if (!d)
		throw_errno("cannot read the mount point " + dir, errno);
	rd.release();
	bool empty = true;
	while (struct dirent *e = ::readdir(d))
		if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
			empty = false;
	::closedir(d);
	if (!empty)
		throw Error("will not mount at " + dir + ": it is not empty (a mount would hide what is there)");
}

// What this host does with each sealed image of the pool on D: the plan of mount --all.
std::vector<AutoMount> plan(const DevicePool &d, const AutomountPolicy &policy)
{
	Pool pool(open_device_backend(d.device, Access::ReadOnly, d.pool_name), Access::ReadOnly);
	std::vector<AutoMount> out;
	for (const auto &img : pool.info(false).images) {
		AutoMount a;
		a.pool = d.pool_name;
		a.image = img.name;
		a.offset = img.offset;
		auto own = policy.own_path(d.pool_name, img.name);
		if (img.automount.empty() && !img.automount_unreadable && !own)
			continue; // not marked for automount, nothing to say
		// This host's settings first: a host that opted out, or skips the image, or has a path
		// of its own for it, does not depend on what the pool says about it, damaged or not.
		if (!policy.concerned(d.pool_name, img.name, a.message)) {
			a.action = AutoMount::Skipped;
		} else if (own) {
			a.path = *own;
		} else if (img.automount_unreadable) {
			a.action = AutoMount::Failed;
			a.message = "its automount record in the pool is damaged (daxpool fsck --pool " + d.pool_name +
				    "; set it again with daxpool automount)";
		} else if (!policy.allowed(img.automount, a.message)) {
			a.action = AutoMount::Failed;
		} else {
			a.path = img.automount;
		}
		out.push_back(a);
	}
	return out;
}

// The daxfs mount of this mount namespace at PATH, if any.
const DaxfsMount *mounted_at(const std::vector<DaxfsMount> &ms, const std::string &path)
{
	for (const auto &m : ms)
		if (m.mountpoint == path)
			return &m;
	return nullptr;
}

// M (a mount of device D) reads the image at pool offset OFF.
bool reads(const DaxfsMount &m, const DevicePool &d, uint64_t off)
{
	return (m.phys ? m.phys + m.offset - d.phys : m.offset) == off;
}

std::vector<DevicePool> pools_of(const std::optional<PoolRef> &ref)
{
	if (ref)
		return {resolve_device_pool(*ref)};
	std::vector<DevicePool> out;
	for (auto &d : scan_devices())
		if (!d.pool_name.empty() && !d.system_ram)
			out.push_back(d);
	return out;
}

} // namespace

std::vector<AutoMount> mount_all(const std::optional<PoolRef> &ref, const AutomountPolicy &policy)
{
	require_root("mount --all");
	std::vector<AutoMount> out;
	for (const auto &d : pools_of(ref)) {
		auto here = daxfs_mounts_of(d);
		for (auto &a : plan(d, policy)) {
			if (a.action == AutoMount::Mount) {
				const DaxfsMount *m = mounted_at(daxfs_mounts(), a.path);
				const DaxfsMount *h = mounted_at(here, a.path);
				if (h && reads(*h, d, a.offset)) {
					a.action = AutoMount::Already;
				} else if (m) {
					a.action = AutoMount::Failed;
					a.message = a.path + " already has another daxfs mount (" + m->source + ")";
				} else {
					try {
						safe_mountpoint(a.path);
						PoolRef r;
						r.path = d.device;
						mount_image(r, a.image, a.path, MountOptions{});
						a.action = AutoMount::Mounted;
					} catch (const std::exception &e) {
						a.action = AutoMount::Failed;
						a.message = e.what();
					}
				}
			}
			out.push_back(a);
		}
	}
	return out;
}

namespace {

// Unmounts A.path (umount_image: its record too), noting the outcome in A.
void umount_one(AutoMount &a)
{
	try {
		std::string warn;
		umount_image(a.path, warn);
		a.action = AutoMount::Unmounted;
		a.message = warn;
	} catch (const std::exception &e) {
		a.action = AutoMount::Failed;
		a.message = e.what();
	}
}

// Every daxfs mount of this mount namespace whose source is device node DEV, unmounted.
std::vector<AutoMount> umount_gone(const std::string &dev)
{
	std::vector<AutoMount> out;
	for (const auto &m : daxfs_mounts()) {
		if (m.source != dev)
			continue;
		AutoMount a;
		a.path = m.mountpoint;
		a.offset = m.offset;
		a.image = "offset " + std::to_string(m.offset);
		a.pool = dev;
		umount_one(a);
		out.push_back(a);
	}
	return out;
}

} // namespace

std::vector<AutoMount> umount_all(const std::optional<PoolRef> &ref, const AutomountPolicy &policy)
{
	require_root("umount --all");
	std::vector<AutoMount> out;
	std::vector<DevicePool> pools;
	try {
		pools = pools_of(ref);
	} catch (const Error &) {
		// The device went away, or holds no readable pool any more (destroyed, damaged): its
		// daxfs mounts cannot be told apart by image; all of them are unmounted.
		if (!ref || ref->region || ref->path.rfind("/dev/", 0) != 0)
			throw;
		return umount_gone(ref->path);
	}
	for (const auto &d : pools) {
		auto here = daxfs_mounts_of(d);
		for (auto &a : plan(d, policy)) {
			if (a.action != AutoMount::Mount)
				continue; // skipped or damaged: --all mounted nothing there
			const DaxfsMount *m = mounted_at(here, a.path);
			if (!m || !reads(*m, d, a.offset)) {
				a.action = AutoMount::NotMounted;
				out.push_back(a);
				continue;
			}
			umount_one(a);
			out.push_back(a);
		}
	}
	return out;
}

const char *AutoMount::action_name() const
{
	switch (action) {
	case Mount: return "mount";
	case Mounted: return "mounted";
	case Already: return "already mounted";
	case Skipped: return "skipped";
	case Unmounted: return "unmounted";
	case NotMounted: return "not mounted";
	case Failed: return "failed";
	}
	return "?";
}

} // namespace daxpool::pool
