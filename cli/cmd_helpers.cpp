// SPDX-License-Identifier: GPL-2.0-only
// What the system runs rather than the operator:
//   mount.daxfs SOURCE DIR [-sfnv] [-N NS] [-o OPTS] [-t TYPE]  (mount(8)'s external helper)
//   umount.daxfs DIR [-flnrv] [-N NS] [-t TYPE]                 (umount(8)'s)
// The helpers are the daxpool binary under another name (/sbin/mount.daxfs -> daxpool): main()
// dispatches on argv[0]. SOURCE POOL/IMAGE (a pool name, UUID or device node, then the image's
// name) mounts like `daxpool mount IMAGE DIR --pool POOL` and records the mount; a device node
// or "none" as SOURCE is a plain daxfs mount (docs/daxfs.md), passed on to mount(2) as it is.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/mounts.hpp"
#include "pool/pool.hpp"
#include "pool/probe.hpp"
#include "pool/provision.hpp"

namespace daxpool::cli {

namespace {

// mount(8)'s exit codes for helpers.
constexpr int EX_USAGE_MNT = 1, EX_FAIL_MNT = 32;

struct HelperArgs {
	std::vector<std::string> pos;
	std::string opts;
	bool fake = false, sloppy = false, verbose = false, lazy = false, force = false;
	std::string ns;
};

// Short options with an argument: -o, -t, -N (also as -oOPTS); flags may be grouped (-nv).
HelperArgs parse_helper(int argc, char **argv, const char *flags)
{
	HelperArgs a;
	for (int i = 1; i < argc; i++) {
		std::string w = argv[i];
		if (w.size() < 2 || w[0] != '-') {
			a.pos.push_back(w);
			continue;
		}
		for (size_t k = 1; k < w.size(); k++) {
			char c = w[k];
			if (c == 'o' || c == 't' || c == 'N') {
				std::string v = k + 1 < w.size() ? w.substr(k + 1) : (i + 1 < argc ? argv[++i] : "");
				if (c == 'o')
					a.opts += (a.opts.empty() ? "" : ",") + v;
				else if (c == 'N')
					a.ns = v;
				else if (v != "daxfs")
					throw Error("type " + v + " is not daxfs");
				break;
			}
			if (!std::strchr(flags, c))
				throw Error(std::string("unknown option -") + c);
			a.fake |= c == 'f' && std::strchr(flags, 's'); // mount's -f: fake; umount's -f: force
			a.force |= c == 'f' && !std::strchr(flags, 's');
			a.sloppy |= c == 's';
			a.verbose |= c == 'v';
			a.lazy |= c == 'l';
		}
	}
	if (!a.ns.empty())
		throw Error("-N (another mount namespace) is not supported: run the mount in that namespace");
	return a;
}

struct Flag {
	const char *name;
	unsigned long set, clear;
};
constexpr Flag vfs_flags[] = {
	{"noexec", MS_NOEXEC, 0},	  {"exec", 0, MS_NOEXEC},	   {"noatime", MS_NOATIME, 0},
	{"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0},    {"strictatime", MS_STRICTATIME, 0},
	{"sync", MS_SYNCHRONOUS, 0},	  {"dirsync", MS_DIRSYNC, 0},	   {"silent", MS_SILENT, 0},
	{"async", 0, 0},		  {"atime", 0, MS_NOATIME},	   {"diratime", 0, MS_NODIRATIME},
};

// Options mount(8) or the system keeps for itself (fstab, systemd), never the filesystem's.
bool userspace_option(const std::string &o)
{
	static const char *const plain[] = {"defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser",
					    "users", "owner", "group", "loud", "ro"};
	for (auto *p : plain)
		if (o == p)
			return true;
	return o.starts_with("x-") || o.starts_with("comment=") || o.starts_with("uhelper=") ||
	       o.starts_with("helper=");
}

int mount_helper(int argc, char **argv)
{
	HelperArgs a;
	try {
		a = parse_helper(argc, argv, "sfnvrw");
		if (a.pos.size() != 2)
			throw Error("usage: mount.daxfs POOL/IMAGE DIR [-sfnv] [-o OPTIONS]");
	} catch (const std::exception &e) {
		std::fprintf(stderr, "mount.daxfs: %s\n", e.what());
		return EX_USAGE_MNT;
	}
	const std::string &src = a.pos[0], &dir = a.pos[1];
	pool::MountOptions mo;
	std::string data; // filesystem options (a plain mount only)
	bool plain = src == "none";
	struct stat st;
	if (::stat(src.c_str(), &st) == 0 && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))
		plain = true;
	std::string opts = a.opts;
	size_t from = 0;
	try {
		while (from <= opts.size()) {
			size_t comma = opts.find(',', from);
			std::string o = opts.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
			from = comma == std::string::npos ? opts.size() + 1 : comma + 1;
			if (o.empty() || userspace_option(o))
				continue;
			if (o == "rw")
				continue; // mount(8)'s default when no -o is given: daxfs is always read-only
			if (o == "suid" || o == "nosuid" || o == "dev" || o == "nodev") {
				(o == "suid" || o == "nosuid" ? mo.suid : mo.dev) = o[0] != 'n';
				continue;
			}
			bool vfs = false;
			for (auto &f : vfs_flags)
				if (o == f.name) {
					// In order: the last of atime/noatime (exec/noexec, ...) wins, as in mount(8).
					mo.flags = (mo.flags & ~f.clear) | f.set;
					vfs = true;
				}
			if (vfs)
				continue;
			if (plain) {
				data += (data.empty() ? "" : ",") + o; // offset=, phys=, size=, trusted, ...
				continue;
			}
			if (!a.sloppy)
				throw Error("unknown option '" + o + "' (known: ro, suid, dev, exec, atime options, fstab's; -s ignores it)");
		}
		if (a.fake)
			return 0;
		if (plain && src != "none" && pool::probe_signature(src) == "a daxpool pool")
			throw Error(src + " holds a daxpool pool: mount its images as POOL/IMAGE (mount -t daxfs " + src +
				    "/IMAGE DIR), which records the mount so that no host frees the image under it");
		if (plain) {
			unsigned long flags = MS_RDONLY | (mo.suid ? 0 : MS_NOSUID) | (mo.dev ? 0 : MS_NODEV) | mo.flags;
			if (::mount(src.c_str(), dir.c_str(), "daxfs", flags, data.c_str()) < 0)
				pool::throw_errno("cannot mount " + src + " (" + data + ") at " + dir, errno);
			if (a.verbose)
				std::printf("mount.daxfs: %s mounted on %s (not a pool image: nothing recorded)\n", src.c_str(),
					    dir.c_str());
			return 0;
		}
		size_t slash = src.rfind('/');
		if (slash == std::string::npos || slash == 0 || slash + 1 == src.size())
			throw Error("source '" + src + "' is not POOL/IMAGE (a pool name, UUID or device, then the image's name)");
		pool::PoolRef ref;
		ref.path = src.substr(0, slash);
		// /dev/daxpool/NAME (udev's link) names the device it points to.
		if (ref.path[0] == '/')
			if (char *r = ::realpath(ref.path.c_str(), nullptr)) {
				ref.path = r;
				std::free(r);
			}
		mo.ok_if_mounted = true; // mount -a again after boot: already there is success
		pool::MountResult r = pool::mount_image(ref, src.substr(slash + 1), dir, mo);
		if (r.already) {
			if (a.verbose)
				std::printf("mount.daxfs: %s is already mounted on %s\n", src.c_str(), r.mountpoint.c_str());
			return 0;
		}
		if (a.verbose)
			std::printf("mount.daxfs: mounted %s of pool %s (%s at offset %llu) on %s\n", r.image.name.c_str(),
				    r.device.pool_name.c_str(), r.device.device.c_str(),
				    static_cast<unsigned long long>(r.image.offset), r.mountpoint.c_str());
		if (!r.agent)
			std::fprintf(stderr, "mount.daxfs: note: no `daxpool agent` beats for this host in pool %s "
					     "(systemctl start daxpool-agent@%s: docs/multihost.md)\n",
				     r.device.pool_name.c_str(), r.device.device.substr(r.device.device.rfind('/') + 1).c_str());
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "mount.daxfs: %s\n", e.what());
		return EX_FAIL_MNT;
	}
}

int umount_helper(int argc, char **argv)
{
	HelperArgs a;
	try {
		a = parse_helper(argc, argv, "flnrvi");
		if (a.pos.size() != 1)
			throw Error("usage: umount.daxfs DIR [-flnrv]");
	} catch (const std::exception &e) {
		std::fprintf(stderr, "umount.daxfs: %s\n", e.what());
		return EX_USAGE_MNT;
	}
	try {
		std::string warn;
		pool::DaxfsMount m =
			pool::umount_image(a.pos[0], warn, (a.lazy ? MNT_DETACH : 0) | (a.force ? MNT_FORCE : 0));
		if (a.verbose)
			std::printf("umount.daxfs: %s (%s) unmounted\n", m.mountpoint.c_str(), m.source.c_str());
		// A plain daxfs mount of a device without a pool has no record: nothing to say.
		if (!warn.empty() && (a.verbose || !warn.starts_with("no pool image")))
			std::fprintf(stderr, "umount.daxfs: warning: %s: %s\n", m.mountpoint.c_str(), warn.c_str());
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "umount.daxfs: %s\n", e.what());
		return EX_FAIL_MNT;
	}
}


} // namespace

int helper_main(int argc, char **argv, bool umount)
{
	return umount ? umount_helper(argc, argv) : mount_helper(argc, argv);
}

} // namespace daxpool::cli
