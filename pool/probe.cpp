// SPDX-License-Identifier: GPL-2.0-only
#include "pool/probe.hpp"

#include <blkid/blkid.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <memory>

#include "lib/format/daxfs_format.h"
#include "lib/util/fd.hpp"
#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/layout.hpp"
#include "pool/shmem.hpp"

namespace daxpool::pool {

namespace {

struct ProbeFree {
	void operator()(blkid_probe p) const noexcept { blkid_free_probe(p); }
};
using Probe = std::unique_ptr<std::remove_pointer_t<blkid_probe>, ProbeFree>;

bool read_at(int fd, uint64_t off, void *buf, size_t len)
{
	return ::pread(fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
}

std::string blkid_signature(int fd)
{
	Probe pr(blkid_new_probe());
	if (!pr || blkid_probe_set_device(pr.get(), fd, 0, 0) < 0)
		return {};
	blkid_probe_enable_superblocks(pr.get(), 1);
	blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr.get(), 1);
	int rc = blkid_do_safeprobe(pr.get());
	if (rc == -2)
		return "several conflicting filesystem signatures";
	if (rc != 0)
		return {};
	const char *type = nullptr;
	if (blkid_probe_lookup_value(pr.get(), "TYPE", &type, nullptr) == 0 && type)
		return std::string(std::strcmp(type, "swap") == 0 ? "a swap area" : std::string("a ") + type + " filesystem");
	if (blkid_probe_lookup_value(pr.get(), "PTTYPE", &type, nullptr) == 0 && type)
		return std::string("a ") + type + " partition table";
	return {};
}


// A device-dax instance has no read(): copy its first bytes (every signature we look for is in
// the first 2 MiB; 4 are copied) into a memory file that pread and libblkid can read.
util::Fd devdax_head(const std::string &path)
{
	auto b = open_device_backend(path, Access::ReadOnly);
	Shared sh(*b); // pool/shmem is the only code reading the mapping (invalidated first)
	std::span<const uint8_t> m = sh.view(0, std::min<uint64_t>(sh.size(), 4 * MiB));
	size_t n = m.size();
	util::Fd fd(::memfd_create("daxpool-probe", MFD_CLOEXEC));
	if (!fd)
		throw_errno("memfd_create", errno);
	for (size_t done = 0; done < n;) {
		ssize_t w = ::write(fd.get(), m.data() + done, n - done);
		if (w <= 0)
			throw_errno("cannot copy the start of " + path, w < 0 ? errno : EIO);
		done += static_cast<size_t>(w);
	}
	return fd;
}

} // namespace

std::string probe_signature(const std::string &path)
{
	struct stat st;
	util::Fd fd;
	if (::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode))
		fd = devdax_head(path);
	else
		fd = util::Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("cannot open " + path, errno);
	// Our own formats first: libblkid knows neither.
	char magic[8];
	for (uint64_t off : {PRIMARY_SB_OFF, BACKUP_SB_OFF})
		if (read_at(fd.get(), off, magic, sizeof magic) && std::memcmp(magic, POOL_MAGIC, sizeof magic) == 0)
			return "a daxpool pool";
	uint32_t m;
	if (read_at(fd.get(), 0, &m, sizeof m) && le32toh(m) == DAXFS_SUPER_MAGIC)
		return "a daxfs image";
	return blkid_signature(fd.get());
}

} // namespace daxpool::pool
