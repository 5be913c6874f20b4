// SPDX-License-Identifier: GPL-2.0-only
#include "pool/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "pool/error.hpp"

namespace daxpool::pool {

namespace {

util::Fd open_lock(const std::string &path)
{
	// O_RDONLY is enough for flock and never needs write permission on a device node.
	util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + path + " to take the pool's writer lock", errno);
	return fd;
}

} // namespace

WriterLock::WriterLock(const std::string &path, void (*on_wait)()) : fd_(open_lock(path))
{
	if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0)
		return;
	if (errno != EWOULDBLOCK)
		throw_errno("cannot lock " + path, errno);
	if (on_wait)
		on_wait();
	while (::flock(fd_.get(), LOCK_EX) < 0)
		if (errno != EINTR)
			throw_errno("cannot lock " + path, errno);
}

WriterLock WriterLock::try_lock(const std::string &path)
{
	WriterLock l;
	util::Fd fd = open_lock(path);
	if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
		l.fd_ = std::move(fd);
	else if (errno != EWOULDBLOCK)
		throw_errno("cannot lock " + path, errno);
	return l;
}

bool WriterLock::is_free(const std::string &path)
{
	util::Fd fd = open_lock(path);
	return ::flock(fd.get(), LOCK_SH | LOCK_NB) == 0; // closing the descriptor releases it
}

} // namespace daxpool::pool
