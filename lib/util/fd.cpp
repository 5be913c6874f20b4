// SPDX-License-Identifier: GPL-2.0-only
#include "lib/util/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

namespace daxpool::util {

Mapping Mapping::open(const std::string &path)
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "cannot open " + path);
	struct stat st;
	if (::fstat(fd.get(), &st) < 0)
		throw std::system_error(errno, std::generic_category(), "cannot stat " + path);
	Mapping m;
	if (st.st_size == 0)
		return m;
	void *a = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
	if (a == MAP_FAILED)
		throw std::system_error(errno, std::generic_category(), "cannot map " + path);
	m.addr_ = a;
	m.len_ = static_cast<size_t>(st.st_size);
	return m;
}

} // namespace daxpool::util
