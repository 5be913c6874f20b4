// SPDX-License-Identifier: GPL-2.0-only
// RAII owners for file descriptors, directory streams and memory mappings.
#pragma once

#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace daxpool::util {

// An owned file descriptor, closed on destruction.
class Fd {
public:
	Fd() = default;
	explicit Fd(int fd) noexcept : fd_(fd) {}
	Fd(Fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	Fd &operator=(Fd &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd() { reset(); }

	int get() const noexcept { return fd_; }
	explicit operator bool() const noexcept { return fd_ >= 0; }
	// Gives up ownership (the caller closes).
	int release() noexcept { return std::exchange(fd_, -1); }
	void reset() noexcept
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
	}

private:
	int fd_ = -1;
};

// An owned DIR stream (fdopendir takes over the descriptor).
struct DirClose {
	void operator()(DIR *d) const noexcept { ::closedir(d); }
};

// A read-only private mapping of a whole file, unmapped on destruction.
class Mapping {
public:
	Mapping() = default;
	// Maps path read-only; throws std::system_error naming path on failure. An empty file gives
	// an empty mapping.
	static Mapping open(const std::string &path);

	Mapping(Mapping &&o) noexcept : addr_(std::exchange(o.addr_, nullptr)), len_(std::exchange(o.len_, 0)) {}
	Mapping &operator=(Mapping &&o) noexcept
	{
		if (this != &o) {
			reset();
			addr_ = std::exchange(o.addr_, nullptr);
			len_ = std::exchange(o.len_, 0);
		}
		return *this;
	}
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	~Mapping() { reset(); }

	std::span<const uint8_t> bytes() const noexcept { return {static_cast<const uint8_t *>(addr_), len_}; }

private:
	void reset() noexcept
	{
		if (addr_)
			::munmap(addr_, len_);
		addr_ = nullptr;
		len_ = 0;
	}
	void *addr_ = nullptr;
	size_t len_ = 0;
};

} // namespace daxpool::util
