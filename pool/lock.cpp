// SPDX-License-Identifier: GPL-2.0-only
#include "pool/lock.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "lib/format/daxfs_format.h"
#include "pool/error.hpp"
#include "pool/identity.hpp"

namespace daxpool::pool {

namespace {

util::Fd open_lock(const std::string &path, int mode)
{
	util::Fd fd(::open(path.c_str(), mode | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + path + " to take the pool's writer lock", errno);
	return fd;
}

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
WriterLock::WriterLock(const std::string &path, void (*on_wait)()) : fd_(open_lock(path, O_RDWR))
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
	util::Fd fd = open_lock(path, O_RDWR);
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
	util::Fd fd = open_lock(path, O_RDWR);
	struct flock fl = byte(F_WRLCK, writer_byte());
	if (::fcntl(fd.get(), F_OFD_SETLK, &fl) == 0)
		l.fd_ = std::move(fd);
	else if (errno != EAGAIN && errno != EACCES)
		throw_errno("cannot lock " + path, errno);
	return l;
}

bool WriterLock::is_free(const std::string &path)
{
	util::Fd fd = open_lock(path, O_RDONLY);
	struct flock fl = byte(F_WRLCK, writer_byte());
	if (::fcntl(fd.get(), F_OFD_GETLK, &fl) < 0)
		throw_errno("cannot probe the writer lock of " + path, errno);
	return fl.l_type == F_UNLCK;
}

} // namespace daxpool::pool
