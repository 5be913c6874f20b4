// SPDX-License-Identifier: GPL-2.0-only
// Where a pool's bytes live. A Backend maps the whole pool [0, size) shared and knows how to
// make a range durable: a file (file-backed pools) or a device (devdax mmap of /dev/daxX.Y,
// fsdax /dev/pmemN, pool/device.hpp), through open_backend().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace daxpool::pool {

enum class Access { ReadOnly, ReadWrite };

class Backend {
public:
	virtual ~Backend() = default;
	// The whole pool, mapped MAP_SHARED (read-only for Access::ReadOnly).
	virtual std::span<uint8_t> map() const = 0;
	// Backing storage for [off, off + len) exists, so that stores cannot fault (SIGBUS on a
	// sparse file on a full filesystem). Throws Error (e.g. no space) without changing data.
	virtual void reserve(uint64_t off, uint64_t len) = 0;
	// After the caller has flushed the CPU caches of [off, off + len): make it durable (msync
	// for a file; nothing more for device DAX).
	virtual void sync(uint64_t off, uint64_t len) = 0;
	// "file /tmp/p.pool", "devdax /dev/dax0.0 (region 0)", for messages.
	virtual std::string describe() const = 0;
	// What the user named the pool by (a path, "region 0").
	virtual std::string name() const = 0;
	// The file or device node whose inode carries the pool's writer lock (pool/lock.hpp).
	virtual std::string lock_path() const = 0;
	// Shared calls these around its own accesses, for backends whose map() is a shadow of the
	// media (fsdax, pool/device.cpp): fetch before reading [off, off + len), prepare_write
	// before storing to it. For a direct mapping they do nothing.
	virtual void fetch(uint64_t, uint64_t) const {}
	// Where on this host a daxfs mount serves the image at pool offset OFF (mount points);
	// device backends only: a file-backed pool cannot be mounted.
	virtual std::vector<std::string> mounted_here(uint64_t) const { return {}; }
	virtual void prepare_write(uint64_t, uint64_t) {}
	// After the caller flushed the lines of [off, off + len) and fenced (Shared::publish): for a
	// shadow, send the stores to the media now so that other processes read them (fsdax writes
	// its blocks back); a direct mapping is already there.
	virtual void publish(uint64_t, uint64_t) {}
	// Shared tells the backend what its stores did, for backends that model the memory rather
	// than map it (the non-coherent simulator of the tests): [off, off + len) of map() was just
	// written with non-temporal stores (they bypass this host's cache and reach memory at the
	// next fence); the lines of [off, off + len) were written back by a cache flush; a fence
	// ordered everything before it.
	virtual void stored_nt(uint64_t, uint64_t) {}
	virtual void flushed(uint64_t, uint64_t) {}
	virtual void fenced() {}
	// Whether one host only may use the pool (fsdax: docs/provisioning.md).
	virtual bool single_host() const { return false; }
};

// How a command names a pool: --pool PATH or --region N.
struct PoolRef {
	std::string path;
	std::optional<unsigned> region;
	std::string display() const { return region ? "region " + std::to_string(*region) : path; }
};

// A file-backed pool (an existing file; its size is the mapped size).
std::unique_ptr<Backend> open_file_backend(const std::string &path, Access access);
// The pool on nd region N (the devdax or fsdax device of that region that holds a pool).
std::unique_ptr<Backend> open_region_backend(unsigned region, Access access);
std::unique_ptr<Backend> open_backend(const PoolRef &ref, Access access);

} // namespace daxpool::pool
