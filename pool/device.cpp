// SPDX-License-Identifier: GPL-2.0-only
// Pools on DAX devices (docs/pool-format.md, "Backends"):
//   - devdax (/dev/daxX.Y): the whole device mapped MAP_SHARED; loads and stores go straight to
//     the memory, durability is the flush + fence the pool code already does.
//   - fsdax (/dev/pmemN): the block device, read and written with O_DIRECT so nothing goes
//     through the page cache (a block device's mmap would be page cache, and another host's
//     writes would never show through it). The pool code still sees one mapping: a private
//     anonymous shadow whose 4 KiB blocks are read from the device when Shared reads them
//     (fetch), and written back when Shared makes them durable (sync). Written-back blocks are
//     dropped from the shadow, so a later read (e.g. load's read-back) comes from the device.
#include "pool/device.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

#include "lib/util/fd.hpp"
#include "pool/error.hpp"
#include "pool/layout.hpp"
#include "pool/mounts.hpp"

namespace daxpool::pool {

namespace {

dev_t rdev_of(const std::string &path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)) ? st.st_rdev : 0;
}

std::string sysfs_char_attr(const struct stat &st, const char *attr)
{
	std::string p = "/sys/dev/char/" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) +
			"/" + attr;
	std::ifstream f(p);
	std::string v;
	if (!(f >> v))
		throw Error("cannot read " + p);
	return v;
}

class DevdaxBackend final : public Backend {
public:
	DevdaxBackend(const std::string &path, const struct stat &st, Access access, std::string name)
		: path_(path), name_(std::move(name))
	{
		len_ = std::stoull(sysfs_char_attr(st, "size"));
		phys_ = std::stoull(sysfs_char_attr(st, "resource"), nullptr, 0);
		rdev_ = st.st_rdev;
		if (len_ == 0)
			throw Error(path + " has no capacity (a device-dax instance of size 0)");
		bool rw = access == Access::ReadWrite;
		fd_ = util::Fd(::open(path.c_str(), (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC));
		if (!fd_)
			throw_errno("cannot open " + path, errno);
		void *a = ::mmap(nullptr, len_, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd_.get(), 0);
		if (a == MAP_FAILED)
			throw_errno("cannot map " + path + " (is it in devdax mode, not system-ram?)", errno);
		base_ = static_cast<uint8_t *>(a);
	}
	~DevdaxBackend() override { ::munmap(base_, len_); }
	DevdaxBackend(const DevdaxBackend &) = delete;
	DevdaxBackend &operator=(const DevdaxBackend &) = delete;

	std::span<uint8_t> map() const override { return {base_, len_}; }
	void reserve(uint64_t, uint64_t) override {}
	// The caller flushed and fenced: the lines are in the persistence domain (ADR / CXL GPF).
	void sync(uint64_t, uint64_t) override {}
	std::string describe() const override { return "devdax " + path_ + (name_.empty() ? "" : " (" + name_ + ")"); }
	std::string name() const override { return name_.empty() ? path_ : name_; }
	std::string lock_path() const override { return path_; }
	std::vector<std::string> mounted_here(uint64_t off) const override
	{
		std::vector<std::string> out;
		for (auto &m : daxfs_mounts()) {
			bool by_range = m.phys && m.phys + m.offset == phys_ + off;
			bool by_node = !m.phys && m.offset == off && rdev_of(m.source) == rdev_;
			if (by_range || by_node)
				out.push_back(m.mountpoint);
		}
		return out;
	}

private:
	std::string path_, name_;
	util::Fd fd_;
	uint8_t *base_ = nullptr;
	size_t len_ = 0;
	uint64_t phys_ = 0;
	dev_t rdev_ = 0;
};

class FsdaxBackend final : public Backend {
public:
	static constexpr uint64_t BLOCK = 4096;

	FsdaxBackend(const std::string &path, Access access, std::string name) : path_(path), name_(std::move(name))
	{
		bool rw = access == Access::ReadWrite;
		fd_ = util::Fd(::open(path.c_str(), (rw ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC));
		if (!fd_)
			throw_errno("cannot open " + path + " for direct I/O", errno);
		uint64_t bytes = 0;
		if (::ioctl(fd_.get(), BLKGETSIZE64, &bytes) < 0)
			throw_errno("cannot read the size of " + path, errno);
		len_ = bytes / BLOCK * BLOCK;
		if (len_ == 0)
			throw Error(path + " has no capacity");
		void *a = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (a == MAP_FAILED)
			throw_errno("cannot reserve address space for " + path, errno);
		base_ = static_cast<uint8_t *>(a);
		state_.assign(len_ / BLOCK, Unknown);
	}
	~FsdaxBackend() override { ::munmap(base_, len_); }
	FsdaxBackend(const FsdaxBackend &) = delete;
	FsdaxBackend &operator=(const FsdaxBackend &) = delete;

	std::span<uint8_t> map() const override { return {base_, len_}; }
	void reserve(uint64_t, uint64_t) override {}

	// Every entry point takes m_: a writer's heartbeat thread publishes host-table lines while
	// its main thread copies data or writes the catalog. The threads touch disjoint blocks (the
	// host table, the catalog, the data area), and only the copying thread sends data blocks to
	// the device early, so no thread writes back a block another is storing into.
	void fetch(uint64_t off, uint64_t len) const override
	{
		std::lock_guard l(m_);
		fetch_locked(off, len);
	}
	void prepare_write(uint64_t off, uint64_t len) override
	{
		std::lock_guard l(m_);
		prepare_write_locked(off, len);
	}
	void sync(uint64_t off, uint64_t len) override
	{
		std::lock_guard l(m_);
		sync_locked(off, len);
	}

	// Host-table lines (claims, heartbeats, tickets, mount records) reach the device at once, so
	// that the other processes of this host (status, unload, the agent) see them.
	void publish(uint64_t off, uint64_t len) override { sync(off, len); }
	bool single_host() const override { return true; }

	std::string describe() const override { return "fsdax " + path_ + (name_.empty() ? "" : " (" + name_ + ")"); }
	std::string name() const override { return name_.empty() ? path_ : name_; }
	std::string lock_path() const override { return path_; }
	std::vector<std::string> mounted_here(uint64_t off) const override
	{
		std::vector<std::string> out;
		dev_t me = rdev_of(path_);
		for (auto &m : daxfs_mounts())
			if (!m.phys && m.offset == off && me && rdev_of(m.source) == me)
				out.push_back(m.mountpoint);
		return out;
	}

private:
	enum State : uint8_t { Unknown, Clean, Dirty };

	// Reads every block of the range that holds no unwritten stores from the device.
	void fetch_locked(uint64_t off, uint64_t len) const
	{
		for_runs(off, len, [&](uint64_t b) { return state_[b] != Dirty; }, [&](uint64_t first, uint64_t n) {
			io(false, first, n);
			std::fill(state_.begin() + static_cast<long>(first), state_.begin() + static_cast<long>(first + n),
				  Clean);
		});
	}

	// The range is about to be stored to: blocks it covers only in part are read first (their
	// other bytes must be the device's), then every block it touches is dirty until sync.
	void prepare_write_locked(uint64_t off, uint64_t len)
	{
		if (len == 0)
			return;
		// Bulk image data (never a publishing word: those live in the header) goes to the
		// device early once the shadow holds 64 MiB of it, so a large load does not need the
		// image's size in RAM. Publish order is kept: the seal comes after the caller's sync.
		// Done before this write's blocks are touched: their stores have not happened yet.
		if (off >= DATA_OFF && dirty_data_ * BLOCK >= 64 * MiB)
			sync_locked(DATA_OFF, len_ - DATA_OFF);
		// A clean block is read again too: another process of this host may have written the
		// block's other bytes since (e.g. the agent's heartbeat next to a mount record), and
		// writing back a stale copy would undo that.
		uint64_t first = off / BLOCK, last = (off + len - 1) / BLOCK;
		if (off % BLOCK && state_[first] != Dirty)
			fetch_locked(first * BLOCK, BLOCK);
		if ((off + len) % BLOCK && state_[last] != Dirty)
			fetch_locked(last * BLOCK, BLOCK);
		for (uint64_t b = first; b <= last; b++)
			if (state_[b] != Dirty) {
				state_[b] = Dirty;
				if (b * BLOCK >= DATA_OFF)
					dirty_data_++;
			}
	}

	// Writes the dirty blocks of the range to the device (O_DIRECT: the pmem driver stores them
	// with non-temporal writes and the write returns once they are durable), then drops them
	// from the shadow.
	void sync_locked(uint64_t off, uint64_t len)
	{
		for_runs(off, len, [&](uint64_t b) { return state_[b] == Dirty; }, [&](uint64_t first, uint64_t n) {
			io(true, first, n);
			for (uint64_t b = first; b < first + n; b++)
				if (b * BLOCK >= DATA_OFF)
					dirty_data_--;
			if (::madvise(base_ + first * BLOCK, n * BLOCK, MADV_DONTNEED) == 0)
				std::fill(state_.begin() + static_cast<long>(first),
					  state_.begin() + static_cast<long>(first + n), Unknown);
			else
				std::fill(state_.begin() + static_cast<long>(first),
					  state_.begin() + static_cast<long>(first + n), Clean);
		});
		if (::fdatasync(fd_.get()) < 0 && errno != EINVAL)
			throw_errno("fdatasync of " + path_, errno);
	}

	template <typename Pred, typename Fn> void for_runs(uint64_t off, uint64_t len, Pred want, Fn fn) const
	{
		if (len == 0)
			return;
		uint64_t b = off / BLOCK, end = (off + len + BLOCK - 1) / BLOCK;
		while (b < end) {
			if (!want(b)) {
				b++;
				continue;
			}
			uint64_t s = b;
			while (b < end && want(b))
				b++;
			fn(s, b - s);
		}
	}

	void io(bool write, uint64_t first, uint64_t n) const
	{
		uint64_t off = first * BLOCK, left = n * BLOCK;
		while (left) {
			size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, 64 * 1024 * 1024));
			ssize_t r = write ? ::pwrite(fd_.get(), base_ + off, chunk, static_cast<off_t>(off))
					  : ::pread(fd_.get(), base_ + off, chunk, static_cast<off_t>(off));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				throw_errno(std::string(write ? "cannot write " : "cannot read ") + path_ + " at offset " +
						    std::to_string(off),
					    r < 0 ? errno : EIO);
			off += static_cast<uint64_t>(r);
			left -= static_cast<uint64_t>(r);
		}
	}

	std::string path_, name_;
	util::Fd fd_;
	uint8_t *base_ = nullptr;
	size_t len_ = 0;
	mutable std::mutex m_;
	mutable std::vector<State> state_;
	uint64_t dirty_data_ = 0; // dirty blocks at or after DATA_OFF
};

} // namespace

std::unique_ptr<Backend> open_device_backend(const std::string &path, Access access, const std::string &name)
{
	struct stat st;
	if (::stat(path.c_str(), &st) < 0)
		throw_errno("cannot open " + path, errno);
	if (S_ISCHR(st.st_mode))
		return std::make_unique<DevdaxBackend>(path, st, access, name);
	if (S_ISBLK(st.st_mode))
		return std::make_unique<FsdaxBackend>(path, access, name);
	throw Error(path + " is neither a device-dax instance nor an fsdax block device");
}

namespace {

struct MonitorUnref {
	void operator()(sd_device_monitor *m) const { sd_device_monitor_unref(m); }
};
struct EventUnref {
	void operator()(sd_event *e) const { sd_event_unref(e); }
};

// udev's event for the uevent tagged SYNTH_UUID = uuid: its rules ran.
struct Tagged {
	std::string uuid;
	bool seen = false;
};

int on_udev_event(sd_device_monitor *, sd_device *d, void *userdata)
{
	auto *t = static_cast<Tagged *>(userdata);
	const char *v = nullptr;
	if (sd_device_get_property_value(d, "SYNTH_UUID", &v) >= 0 && t->uuid == v)
		t->seen = true;
	return 0;
}

} // namespace

bool udev_reprobe(const std::string &path, std::chrono::milliseconds settle)
{
	struct stat st;
	if (::stat(path.c_str(), &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return false;
	std::string f = std::string("/sys/dev/") + (S_ISCHR(st.st_mode) ? "char/" : "block/") +
			std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) + "/uevent";
	util::Fd fd(::open(f.c_str(), O_WRONLY | O_CLOEXEC));
	if (fd.get() < 0)
		return false;
	// To wait, the event carries a SYNTH_UUID (the kernel passes it on, udev's event keeps it)
	// and udev's monitor listens before it is sent. No udevd (its control socket): no wait.
	std::unique_ptr<sd_event, EventUnref> ev;
	std::unique_ptr<sd_device_monitor, MonitorUnref> mon;
	Tagged tag;
	if (settle.count() > 0 && ::access("/run/udev/control", F_OK) == 0) {
		sd_event *e = nullptr;
		sd_device_monitor *m = nullptr;
		if (sd_event_new(&e) >= 0)
			ev.reset(e);
		if (ev && sd_device_monitor_new(&m) >= 0)
			mon.reset(m);
		uuid_t u;
		char text[UUID_STR_LEN];
		uuid_generate(u);
		uuid_unparse_lower(u, text);
		tag.uuid = text;
		if (!mon || sd_device_monitor_attach_event(mon.get(), ev.get()) < 0 ||
		    sd_device_monitor_start(mon.get(), on_udev_event, &tag) < 0)
			mon.reset();
	}
	const std::string change = mon ? "change " + tag.uuid : "change";
	if (::write(fd.get(), change.data(), change.size()) != ssize_t(change.size()))
		return mon && ::write(fd.get(), "change", 6) == 6; // a kernel without synthetic uevents: no wait
	const auto until = std::chrono::steady_clock::now() + settle;
	while (mon && !tag.seen) {
		const auto left = until - std::chrono::steady_clock::now();
		if (left <= left.zero() ||
		    sd_event_run(ev.get(), std::chrono::duration_cast<std::chrono::microseconds>(left).count()) < 0)
			break; // best effort: as without the wait
	}
	return true;
}

} // namespace daxpool::pool
