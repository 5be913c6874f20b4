// SPDX-License-Identifier: GPL-2.0-only
#include "pool/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "pool/error.hpp"

namespace daxpool::pool {

namespace {

util::Fd open_lock(const std::string &uuid)
{
	std::string dir = lock_dir();
	if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
		throw_errno("cannot create the lock directory " + dir, errno);
	std::string path = dir + "/" + uuid + ".lock";
	util::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	if (!fd)
		throw_errno("cannot open the pool's writer lock " + path, errno);
	return fd;
}

} // namespace

std::string lock_dir()
{
	if (const char *d = std::getenv("DAXPOOL_LOCK_DIR"); d && *d)
		return d;
	return "/run/daxpool";
}

WriterLock::WriterLock(const std::string &pool_uuid, void (*on_wait)()) : fd_(open_lock(pool_uuid))
{
	if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0)
		return;
	if (errno != EWOULDBLOCK)
		throw_errno("cannot lock " + lock_dir() + "/" + pool_uuid + ".lock", errno);
	if (on_wait)
		on_wait();
	while (::flock(fd_.get(), LOCK_EX) < 0)
		if (errno != EINTR)
			throw_errno("cannot lock " + lock_dir() + "/" + pool_uuid + ".lock", errno);
}

bool WriterLock::is_free(const std::string &pool_uuid)
{
	util::Fd fd = open_lock(pool_uuid);
	if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0)
		return true; // closing the descriptor releases it
	return false;
}

} // namespace daxpool::pool
