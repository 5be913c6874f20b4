// SPDX-License-Identifier: GPL-2.0-only
#include "pool/lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "lib/format/daxfs_format.h"
#include "pool/error.hpp"
#include "pool/identity.hpp"

namespace daxpool::pool {

namespace {

// A block device (fsdax /dev/pmemN) is not locked itself: udev watches block devices
// (60-block.rules, OPTIONS+="watch") and turns every close of a descriptor opened for writing
// into a "change" event, which every heartbeat would then send. Its lock is a file under
// /run/daxpool named by the device number, the same for every path that names the device.
std::string lock_file_of(const std::string &path)
{
	struct stat st;
	if (::stat(path.c_str(), &st) < 0 || !S_ISBLK(st.st_mode))
		return {};
	const std::string d = "/run/daxpool"; // one place for every daxpool of this host: not configurable
	if (::mkdir(d.c_str(), 0755) < 0 && errno != EEXIST)
		throw_errno("cannot create " + d + " for the writer lock of " + path, errno);
	return d + "/block-" + std::to_string(major(st.st_rdev)) + "-" + std::to_string(minor(st.st_rdev)) + ".lock";
}

} // namespace

util::Fd open_lock_fd(const std::string &path, int mode)
{
	if (std::string f = lock_file_of(path); !f.empty()) {
		util::Fd fd(::open(f.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
		if (!fd)
			throw_errno("cannot open " + f + " to take the writer lock of " + path, errno);
		return fd;
	}
	util::Fd fd(::open(path.c_str(), mode | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + path + " to take the pool's writer lock", errno);
	return fd;
}

namespace {

struct flock byte(short type, uint64_t at, uint64_t len = 1)
{
	struct flock fl{};
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = static_cast<off_t>(at);
	fl.l_len = static_cast<off_t>(len);
	return fl;
}

constexpr uint64_t WRITER_BYTES = uint64_t(1) << 30; // writer bytes: 1 .. 2^30

} // namespace

uint64_t WriterLock::writer_byte()
{
	uint8_t id[32];
	std::copy(self().host.begin(), self().host.end(), id);
	std::copy(self().boot.begin(), self().boot.end(), id + 16);
	return 1 + daxfs_crc32c(id, sizeof id) % WRITER_BYTES;
}
uint64_t WriterLock::slot_byte() { return (uint64_t(1) << 31) + writer_byte(); }

// O_RDWR: a write lock needs a descriptor open for writing (a writer writes the pool anyway).
WriterLock::WriterLock(const std::string &path, void (*on_wait)()) : fd_(open_lock_fd(path, O_RDWR))
{
	struct flock fl = byte(F_WRLCK, writer_byte());
	if (::fcntl(fd_.get(), F_OFD_SETLK, &fl) == 0)
		return;
	if (errno != EAGAIN && errno != EACCES)
		throw_errno("cannot lock " + path, errno);
	if (on_wait)
		on_wait();
	while (::fcntl(fd_.get(), F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			throw_errno("cannot lock " + path, errno);
}

WriterLock WriterLock::try_lock(const std::string &path)
{
	// Every writer byte at once: no writer of any identity on this host may hold one (create
	// needs no machine-id for this).
	WriterLock l;
	util::Fd fd = open_lock_fd(path, O_RDWR);
	struct flock fl = byte(F_WRLCK, 1, WRITER_BYTES);
	if (::fcntl(fd.get(), F_OFD_SETLK, &fl) == 0)
		l.fd_ = std::move(fd);
	else if (errno != EAGAIN && errno != EACCES)
		throw_errno("cannot lock " + path, errno);
	return l;
}

WriterLock WriterLock::try_writer(const std::string &path)
{
	WriterLock l;
	util::Fd fd = open_lock_fd(path, O_RDWR);
	struct flock fl = byte(F_WRLCK, writer_byte());
	if (::fcntl(fd.get(), F_OFD_SETLK, &fl) == 0)
		l.fd_ = std::move(fd);
	else if (errno != EAGAIN && errno != EACCES)
		throw_errno("cannot lock " + path, errno);
	return l;
}

bool WriterLock::is_free(const std::string &path)
{
	util::Fd fd = open_lock_fd(path, O_RDONLY);
	struct flock fl = byte(F_WRLCK, writer_byte());
	if (::fcntl(fd.get(), F_OFD_GETLK, &fl) < 0)
		throw_errno("cannot probe the writer lock of " + path, errno);
	return fl.l_type == F_UNLCK;
}

} // namespace daxpool::pool
