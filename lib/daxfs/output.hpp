// SPDX-License-Identifier: GPL-2.0-only
// The builder's output: a temporary file next to the final name, renamed into place on commit
// and removed otherwise; and a buffered sequential writer that hashes what it writes.
#pragma once

#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include "lib/daxfs/digest.hpp"
#include "lib/util/fd.hpp"

namespace daxpool::daxfs {

class TempFile {
public:
	explicit TempFile(const std::string &final_path);
	TempFile(const TempFile &) = delete;
	TempFile &operator=(const TempFile &) = delete;
	~TempFile(); // unlinks the temporary file unless committed

	int fd() const { return fd_.get(); }
	const std::string &path() const { return tmp_; }
	// Sets the mode (0666 & ~umask), closes, and renames to the final path.
	void commit();

private:
	std::string final_, tmp_;
	util::Fd fd_;
	bool done_ = false;
};

// Writes increasing offsets of fd through two large buffers, feeding every byte (zeros too) to
// a Hasher: while the caller fills one buffer, a second thread hashes and writes the other. Long
// zero runs become holes in the file (the file must have been extended beforehand).
class SeqWriter {
public:
	SeqWriter(int fd, uint64_t start, Hasher &hasher, size_t buffer = 8u << 20);
	~SeqWriter(); // waits for the write in flight (its error is lost: call finish() first)
	SeqWriter(const SeqWriter &) = delete;
	SeqWriter &operator=(const SeqWriter &) = delete;
	void write(const void *buf, size_t len);
	void zeros(uint64_t len);
	// Space for up to len bytes at the current position (len <= free()); then advance(n).
	uint8_t *space() { return buf_.data() + used_; }
	size_t free() const { return buf_.size() - used_; }
	void advance(size_t n) { used_ += n; }
	void flush();  // hands the buffer to the writer thread
	void finish(); // flush and wait: everything written and hashed, errors thrown
	uint64_t pos() const { return off_ + used_; }

private:
	void wait();
	int fd_;
	uint64_t off_; // file offset of buf_[0]
	size_t used_ = 0;
	Hasher &hash_;
	std::vector<uint8_t> buf_, spare_;
	std::future<void> inflight_;
};

// pwrite all of buf at off, throwing Error(what) on failure.
void pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const std::string &what);

} // namespace daxpool::daxfs
