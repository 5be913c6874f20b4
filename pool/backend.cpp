// SPDX-License-Identifier: GPL-2.0-only
// The file backend, and the resolution of --pool / --region into a backend.
#include "pool/backend.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/util/fd.hpp"
#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/provision.hpp"

namespace daxpool::pool {

namespace {

class FileBackend final : public Backend {
public:
	FileBackend(const std::string &path, Access access) : path_(path)
	{
		bool rw = access == Access::ReadWrite;
		fd_ = util::Fd(::open(path.c_str(), (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC));
		if (!fd_)
			throw_errno("cannot open pool " + path, errno);
		struct stat st;
		if (::fstat(fd_.get(), &st) < 0)
			throw_errno("cannot stat pool " + path, errno);
		if (!S_ISREG(st.st_mode))
			throw Error(path + " is not a regular file");
		len_ = static_cast<size_t>(st.st_size);
		if (len_ == 0)
			throw NotAPool(path + " is not a daxpool pool (empty file)");
		void *a = ::mmap(nullptr, len_, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd_.get(), 0);
		if (a == MAP_FAILED)
			throw_errno("cannot map pool " + path, errno);
		base_ = static_cast<uint8_t *>(a);
	}
	~FileBackend() override { ::munmap(base_, len_); }
	FileBackend(const FileBackend &) = delete;
	FileBackend &operator=(const FileBackend &) = delete;

	std::span<uint8_t> map() const override { return {base_, len_}; }

	void reserve(uint64_t off, uint64_t len) override
	{
		int rc = ::posix_fallocate(fd_.get(), static_cast<off_t>(off), static_cast<off_t>(len));
		if (rc == EOPNOTSUPP || rc == EINVAL)
			return; // filesystems without fallocate: stores allocate as they go
		if (rc)
			throw_errno("cannot allocate " + std::to_string(len) + " bytes of storage for pool " + path_, rc);
	}

	void sync(uint64_t off, uint64_t len) override
	{
		uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
		uint64_t start = off / page * page;
		if (::msync(base_ + start, static_cast<size_t>(off + len - start), MS_SYNC) < 0)
			throw_errno("msync of pool " + path_, errno);
	}

	std::string describe() const override { return "file " + path_; }
	std::string name() const override { return path_; }
	std::string lock_path() const override { return path_; }

private:
	std::string path_;
	util::Fd fd_;
	uint8_t *base_ = nullptr;
	size_t len_ = 0;
};

} // namespace

std::unique_ptr<Backend> open_file_backend(const std::string &path, Access access)
{
	return std::make_unique<FileBackend>(path, access);
}

std::unique_ptr<Backend> open_region_backend(unsigned region, Access access)
{
	PoolRef ref;
	ref.region = region;
	DevicePool d = find_device_pool(ref);
	return open_device_backend(d.device, access, "region " + std::to_string(region));
}

std::unique_ptr<Backend> open_backend(const PoolRef &ref, Access access)
{
	if (ref.region)
		return open_region_backend(*ref.region, access);
	if (ref.path.empty())
		throw Error("no pool given: use --pool FILE|NAME (or --region N)");
	// A path names a file-backed pool or a device; anything else is a pool's name or UUID,
	// looked up on this host's DAX devices.
	struct stat st;
	if (ref.path.find('/') != std::string::npos || ::stat(ref.path.c_str(), &st) == 0) {
		if (::stat(ref.path.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			return open_device_backend(ref.path, access);
		return open_file_backend(ref.path, access);
	}
	DevicePool d = find_device_pool(ref);
	return open_device_backend(d.device, access, d.pool_name);
}

} // namespace daxpool::pool
