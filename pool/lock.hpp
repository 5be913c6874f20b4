// SPDX-License-Identifier: GPL-2.0-only
// The writer lock of a pool on this host: an exclusive OFD lock (fcntl F_OFD_SETLK) on one byte
// of the pool's own file or device node, the byte chosen by this host's machine-id and boot id. The same
// inode is the same lock for every process of the host, whatever its mount namespace or /run
// (a lock file keyed by name could be two locks for one pool). Writers serialise on it; readers
// never wait for it. The kernel drops it when its holder dies, which is what lets a later writer
// prove that a WRITING entry's writer on this host and boot is gone. Between hosts the writer
// role is the bakery of pool/writer.hpp; keying the byte by identity lets tests play several
// hosts (DAXPOOL_MACHINE_ID) on one kernel without this lock serialising them.
#pragma once

#include <cstdint>
#include <string>

#include "lib/util/fd.hpp"

namespace daxpool::pool {

// The descriptor this host's locks of the pool at PATH are taken on: PATH itself (a file, a
// devdax character device), or for a block device a file under /run/daxpool named by its
// device number (lock.cpp says why). MODE: O_RDONLY or O_RDWR for PATH itself.
util::Fd open_lock_fd(const std::string &path, int mode);

class WriterLock {
public:
	// Blocks until the lock on PATH is held (calls on_wait once first if someone holds it).
	explicit WriterLock(const std::string &path, void (*on_wait)() = nullptr);
	// Takes the writer locks of every identity at once, only if nobody holds one (create);
	// nullopt-like: held() is false otherwise.
	static WriterLock try_lock(const std::string &path);
	// This host's writer lock on PATH only if nobody holds it now (held() tells); never waits
	// (daxpool agent between two beats).
	static WriterLock try_writer(const std::string &path);
	bool held() const { return static_cast<bool>(fd_); }
	// Held by nobody right now? (F_OFD_GETLK: needs only read access)
	static bool is_free(const std::string &path);

	// The byte of the lock path that carries this host's writer lock, and the byte of its
	// host-slot lock (pool/hosts.cpp).
	static uint64_t writer_byte();
	static uint64_t slot_byte();

private:
	WriterLock() = default;
	util::Fd fd_;
};

} // namespace daxpool::pool
