// SPDX-License-Identifier: GPL-2.0-only
#include "pool/mounts.hpp"

#include <algorithm>

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include <libmount/libmount.h>

#include "pool/error.hpp"
#include "pool/device.hpp"
#include "pool/hosts.hpp"
#include "pool/lock.hpp"

namespace daxpool::pool {

namespace {

uint64_t num(const std::string &v)
{
	try {
		return std::stoull(v, nullptr, 0);
	} catch (...) {
		return 0;
	}
}

struct TableUnref {
	void operator()(libmnt_table *t) const noexcept { mnt_unref_table(t); }
};
struct IterFree {
	void operator()(libmnt_iter *i) const noexcept { mnt_free_iter(i); }
};

// Appends the daxfs mounts listed in MOUNTINFO (a file of /proc/PID/mountinfo's format). A
// process's mountinfo that is gone (it exited) is skipped when !MUST.
void daxfs_mounts_in(const std::string &mountinfo, std::vector<DaxfsMount> &out, bool must = true)
{
	// libmount parses (and unescapes) mountinfo as mount(8) and findmnt(8) do.
	std::unique_ptr<libmnt_table, TableUnref> tb(mnt_new_table());
	std::unique_ptr<libmnt_iter, IterFree> it(mnt_new_iter(MNT_ITER_FORWARD));
	if (!tb || !it)
		throw Error("out of memory");
	if (int rc = mnt_table_parse_file(tb.get(), mountinfo.c_str()); rc < 0) {
		if (!must)
			return;
		throw_errno("cannot read " + mountinfo, -rc);
	}
	libmnt_fs *fs = nullptr;
	while (mnt_table_next_fs(tb.get(), it.get(), &fs) == 0) {
		if (mnt_fs_match_fstype(fs, "daxfs") != 1)
			continue;
		DaxfsMount m;
		const char *target = mnt_fs_get_target(fs), *source = mnt_fs_get_source(fs);
		m.mountpoint = target ? target : "";
		m.source = source ? source : "none";
		// daxfs's own options (the superblock options of mountinfo).
		const char *opts = mnt_fs_get_fs_options(fs);
		auto opt = [&](const char *name) -> uint64_t {
			char *v = nullptr;
			size_t n = 0;
			if (!opts || mnt_optstr_get_option(opts, name, &v, &n) != 0 || !v)
				return 0;
			return num(std::string(v, n));
		};
		m.phys = opt("phys");
		m.phys_size = opt("size");
		m.offset = opt("offset");
		out.push_back(std::move(m));
	}
}

} // namespace

std::vector<DaxfsMount> daxfs_mounts(const std::string &mountinfo)
{
	std::vector<DaxfsMount> out;
	daxfs_mounts_in(mountinfo, out);
	return out;
}

std::vector<DaxfsMount> daxfs_mounts_all_namespaces()
{
	std::vector<DaxfsMount> out;
	std::set<std::string> seen;
	auto ns_of = [](const std::string &pid) {
		char buf[64];
		ssize_t n = ::readlink(("/proc/" + pid + "/ns/mnt").c_str(), buf, sizeof buf - 1);
		return n > 0 ? std::string(buf, size_t(n)) : std::string();
	};
	seen.insert(ns_of("self"));
	daxfs_mounts_in("/proc/self/mountinfo", out);
	std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir("/proc"), ::closedir);
	if (!dir)
		throw_errno("cannot list /proc", errno);
	while (struct dirent *e = ::readdir(dir.get())) {
		std::string pid = e->d_name;
		if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
			continue;
		std::string ns = ns_of(pid);
		if (ns.empty() || !seen.insert(ns).second)
			continue; // gone, a kernel thread, or a namespace already read
		daxfs_mounts_in("/proc/" + pid + "/mountinfo", out, false);
	}
	return out;
}

std::vector<DaxfsMount> daxfs_mounts_of(const DevicePool &d, const std::vector<DaxfsMount> &mounts)
{
	std::vector<DaxfsMount> out;
	for (auto &m : mounts) {
		bool hit = m.source == d.device ||
			   (d.mode == "devdax" && m.phys && m.phys >= d.phys && m.phys < d.phys + d.dev_size);
		if (hit)
			out.push_back(m);
	}
	return out;
}

std::vector<DaxfsMount> daxfs_mounts_of(const DevicePool &d) { return daxfs_mounts_of(d, daxfs_mounts()); }

namespace {

std::string real(const std::string &p)
{
	char buf[PATH_MAX];
	if (!::realpath(p.c_str(), buf))
		throw_errno("mount point " + p, errno);
	return buf;
}

} // namespace

DevicePool resolve_device_pool(const PoolRef &ref)
{
	if (!ref.region && !ref.path.empty()) {
		struct stat st;
		if (::stat(ref.path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
			throw Error(ref.path + " is a file-backed pool: daxfs mounts need DAX memory "
					       "(create the pool on a device with `daxpool create --size SIZE`)");
	}
	return find_device_pool(ref);
}

std::optional<DevicePool> device_pool_of(const PoolRef &ref)
{
	struct stat st;
	if (!ref.region && !ref.path.empty() && ::stat(ref.path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
		return std::nullopt;
	return find_device_pool(ref);
}

MountResult mount_image(const PoolRef &ref, const std::string &name, const std::string &dir, const MountOptions &o)
{
	require_root("mount");
	MountResult r;
	r.device = resolve_device_pool(ref);
	const DevicePool &d = r.device;
	// Read-write: the mount is recorded in this host's slot of the host table.
	Pool pool(open_device_backend(d.device, Access::ReadWrite, d.pool_name), Access::ReadWrite);
	PoolInfo info = pool.info(false);
	auto it = std::find_if(info.images.begin(), info.images.end(), [&](auto &i) { return i.name == name; });
	if (it == info.images.end())
		throw Error("pool " + d.pool_name + " has no image '" + name + "' (daxpool list --pool " + d.pool_name +
			    " shows its images)");
	r.image = *it;
	r.mountpoint = real(dir);
	struct stat st;
	if (::stat(r.mountpoint.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
		throw Error(dir + " is not a directory");
	// No modprobe: mount(2) of type daxfs makes the kernel load the module (MODULE_ALIAS_FS,
	// through /proc/sys/kernel/modprobe), also from mount.daxfs, which mount(8) runs without PATH.
	// Held across mount(2) and the re-check: load, unload, destroy and other mounts on this host
	// wait, and once it is released they see the mount.
	WriterLock lock(d.device, nullptr);
	// Under the lock: two mounts at one mount point would share one record, and the one that
	// fails would erase it while the other stays mounted.
	for (auto &m : daxfs_mounts())
		if (m.mountpoint == r.mountpoint) {
			bool same = !daxfs_mounts_of(d, {m}).empty() &&
				    (m.phys ? m.phys + m.offset - d.phys : m.offset) == r.image.offset;
			if (same && o.ok_if_mounted) {
				r.already = true;
				r.source = m.source;
				r.agent = agent_beating(pool);
				return r;
			}
			throw Error(r.mountpoint + " already has a daxfs mount (" + m.source +
				    (same ? ", this image" : "") + ")");
		}
	// Both modes by the device node: an fsdax block device through its dax_device, a devdax
	// instance by the range the module reads from it (and keeps reserved while mounted).
	r.source = d.device;
	r.data = "offset=" + std::to_string(r.image.offset);
	// The module grants nothing from an image unless trusted (docs/daxfs.md); the VFS flags
	// then keep what was not asked for off.
	if (o.suid || o.dev)
		r.data += ",trusted";
	unsigned long flags = MS_RDONLY | (o.suid ? 0 : MS_NOSUID) | (o.dev ? 0 : MS_NODEV) | o.flags;
	// Recorded first (docs/multihost.md, "Mounts"): record_mount re-reads the catalog after
	// its PENDING record (the image must still be the sealed one found above), and from then
	// on no host's unload frees it; so no re-check is needed after mount(2).
	// A record of this image at this mount point may be there already (umount kept it for a
	// bind mount or a container's copy that still reads the image): reused, and kept if the
	// mount fails.
	const bool had_record = record_mount(pool, r.image, r.mountpoint);
	if (::mount(r.source.c_str(), r.mountpoint.c_str(), "daxfs", flags, r.data.c_str()) < 0) {
		int e = errno;
		if (!had_record)
			forget_mount(pool, r.image.id, r.mountpoint);
		if (e == ENODEV)
			throw Error("cannot mount image " + name + " of pool " + d.pool_name +
				    ": the kernel has no daxfs filesystem (the module is not installed for this kernel, "
				    "uname -r; README: Install on a host, DKMS)");
		throw Error("cannot mount image " + name + " of pool " + d.pool_name + " (" + r.source + " " + r.data +
			    ") at " + r.mountpoint + ": " + std::strerror(e) + " (the kernel log says why: dmesg | tail)");
	}
	r.agent = agent_beating(pool);
	return r;
}

namespace {

// The (image id, mount point hash) of every daxfs mount of device D on this host, in every
// mount namespace.
std::set<std::pair<uint64_t, uint64_t>> live_mounts(const DevicePool &d, const std::vector<ImageInfo> &images)
{
	std::set<std::pair<uint64_t, uint64_t>> live;
	for (auto &m : daxfs_mounts_of(d, daxfs_mounts_all_namespaces())) {
		uint64_t off = m.phys ? m.phys + m.offset - d.phys : m.offset;
		for (auto &img : images)
			if (img.offset == off && img.state != State::Free)
				live.insert({img.id, mountpoint_hash(m.mountpoint)});
	}
	return live;
}

// Removes the record of mount M (just unmounted) from this host's slot of the pool it came from,
// unless a mount of the same image that no other record covers is left (a bind mount, a moved
// or propagated copy in a container's namespace): M's record is all that keeps other hosts from
// freeing the image under it. The agent removes it once no such mount is left.
void forget_here(const DaxfsMount &m, std::string &warn)
{
	try {
		for (auto &d : scan_devices()) {
			if (d.pool_name.empty() || daxfs_mounts_of(d, {m}).empty())
				continue;
			Pool pool(open_device_backend(d.device, Access::ReadWrite, d.pool_name), Access::ReadWrite);
			// As mount_image: no mount of this host can reuse the record between the look at
			// the live mounts and its removal.
			WriterLock lock(d.device, nullptr);
			uint64_t off = m.phys ? m.phys + m.offset - d.phys : m.offset;
			auto images = pool.info(true).images;
			for (auto &img : images)
				if (img.offset == off && img.state != State::Free) {
					auto s = HostSession::claim(pool);
					std::set<std::pair<uint64_t, uint64_t>> recorded;
					for (auto &r : s->mounts())
						recorded.insert({r.image_id, r.mp_hash});
					recorded.erase({img.id, mountpoint_hash(m.mountpoint)});
					for (auto &l : live_mounts(d, images))
						if (l.first == img.id && !recorded.count(l)) {
							warn = "image '" + img.name + "' is still mounted on this host where no other "
							       "record covers it (a bind mount or a container's copy): its record "
							       "stays until the agent sees no such mount";
							return;
						}
					s->remove_mount(img.id, mountpoint_hash(m.mountpoint));
					return;
				}
		}
		warn = "no pool image found for it: nothing to remove from the host table";
	} catch (const std::exception &e) {
		warn = std::string("its record in the pool's host table was not removed: ") + e.what();
	}
}

} // namespace

DaxfsMount umount_image(const std::string &dir, std::string &warn, int flags)
{
	require_root("umount");
	std::string mp = real(dir);
	// The last mount at MP in mountinfo is the one on top, the one umount2 removes.
	auto all = daxfs_mounts();
	for (auto it = all.rbegin(); it != all.rend(); ++it) {
		const DaxfsMount &m = *it;
		if (m.mountpoint != mp)
			continue;
		if (::umount2(mp.c_str(), flags) < 0)
			throw_errno("cannot unmount " + mp, errno);
		forget_here(m, warn);
		return m;
	}
	throw Error(mp + " is not a daxfs mount");
}

std::vector<std::string> reconcile_mounts(const DevicePool &d, HostSession &s)
{
	std::vector<std::string> out;
	WriterLock lock = WriterLock::try_writer(d.device);
	if (!lock.held())
		return out; // a mount, load or unload of this host is under way: the next beat
	auto records = s.mounts();
	if (records.empty())
		return out;
	auto live = live_mounts(d, s.pool().info(true).images); // (image id, mountpoint hash)
	std::set<std::pair<uint64_t, uint64_t>> recorded;
	for (auto &r : records)
		recorded.insert({r.image_id, r.mp_hash});
	// Images with a mount that no record covers (a bind mount, a moved mount, a container's
	// copy under another path): every record of theirs stays.
	std::set<uint64_t> uncovered;
	for (auto &l : live)
		if (!recorded.count(l))
			uncovered.insert(l.first);
	for (auto &r : records) {
		if (live.count({r.image_id, r.mp_hash}) || uncovered.count(r.image_id))
			continue;
		s.update_mount(r.record, r.image_id, r.mp_hash, MountRecord{});
		out.push_back("image " + std::to_string(r.image_id) + " at " +
			      (r.mountpoint.empty() ? std::string("?") : r.mountpoint));
	}
	return out;
}

} // namespace daxpool::pool
