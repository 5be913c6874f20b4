// SPDX-License-Identifier: GPL-2.0-only
#include "lib/daxfs/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>

#include "lib/daxfs/error.hpp"

namespace daxpool::daxfs {

void throw_errno(const std::string &what, int err) { throw Error(what + ": " + std::strerror(err)); }

TempFile::TempFile(const std::string &final_path) : final_(final_path)
{
	auto slash = final_path.rfind('/');
	std::string dir = slash == std::string::npos ? "" : final_path.substr(0, slash + 1);
	std::string base = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
	tmp_ = dir + "." + base + ".tmpXXXXXX";
	int fd = ::mkostemp(tmp_.data(), O_CLOEXEC);
	if (fd < 0)
		throw_errno("cannot create a temporary file in the output's directory (" + tmp_ + ")", errno);
	fd_ = util::Fd(fd);
}

TempFile::~TempFile()
{
	if (!done_)
		::unlink(tmp_.c_str());
}

void TempFile::commit()
{
	mode_t mask = ::umask(0);
	::umask(mask);
	if (::fchmod(fd_.get(), 0666 & ~mask) < 0)
		throw_errno("cannot set the mode of " + tmp_, errno);
	if (::close(fd_.release()) < 0)
		throw_errno("cannot write " + tmp_, errno);
	if (::rename(tmp_.c_str(), final_.c_str()) < 0)
		throw_errno("cannot rename " + tmp_ + " to " + final_, errno);
	done_ = true;
}

void pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const std::string &what)
{
	const auto *p = static_cast<const uint8_t *>(buf);
	while (len) {
		ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(off));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("cannot write " + what, errno);
		}
		p += n;
		len -= static_cast<size_t>(n);
		off += static_cast<uint64_t>(n);
	}
}

SeqWriter::SeqWriter(int fd, uint64_t start, Hasher &hasher, size_t buffer)
	: fd_(fd), off_(start), hash_(hasher), buf_(buffer), spare_(buffer)
{
}

SeqWriter::~SeqWriter()
{
	if (inflight_.valid())
		inflight_.wait();
}

void SeqWriter::wait()
{
	if (inflight_.valid())
		inflight_.get(); // rethrows the writer's error
}

void SeqWriter::flush()
{
	if (!used_)
		return;
	wait();
	std::swap(buf_, spare_);
	inflight_ = std::async(std::launch::async, [this, len = used_, off = off_] {
		hash_.update(spare_.data(), len);
		pwrite_all(fd_, spare_.data(), len, off, "the image");
	});
	off_ += used_;
	used_ = 0;
}

void SeqWriter::finish()
{
	flush();
	wait();
}

void SeqWriter::write(const void *buf, size_t len)
{
	const auto *p = static_cast<const uint8_t *>(buf);
	while (len) {
		if (!free())
			flush();
		size_t n = std::min(len, free());
		std::memcpy(space(), p, n);
		advance(n);
		p += n;
		len -= n;
	}
}

void SeqWriter::zeros(uint64_t len)
{
	if (len < (1u << 20)) { // padding: through the buffers, keeps the pipeline going
		while (len) {
			if (!free())
				flush();
			size_t n = static_cast<size_t>(std::min<uint64_t>(len, free()));
			std::memset(space(), 0, n);
			advance(n);
			len -= n;
		}
		return;
	}
	finish(); // the hasher must see everything before the zeros
	hash_.update_zeros(len);
	off_ += len; // a hole: the file was extended to its final size beforehand
}

} // namespace daxpool::daxfs
