// SPDX-License-Identifier: GPL-2.0-only
#include "lib/daxfs/fsck.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "lib/daxfs/image.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::daxfs {

FsckReport fsck_bytes(std::span<const uint8_t> bytes)
{
	FsckReport r;
	std::optional<Image> img;
	try {
		img.emplace(Image::borrow(bytes));
	} catch (const InvalidImage &e) {
		r.problems.push_back(e.what());
		return r;
	}
	r.structure_ok = true;
	const daxfs_super &sb = img->super();
	r.inodes = img->inode_count();
	r.size = le64_to_cpu(sb.total_size);
	auto all = img->bytes();
	std::copy(std::begin(sb.digest), std::end(sb.digest), r.recorded.begin());
	r.computed = image_digest(all);
	r.digest_ok = r.recorded == r.computed;
	if (!r.digest_ok)
		r.problems.push_back("image digest mismatch: recorded " + util::hex(r.recorded) + ", computed " + util::hex(r.computed));
	if (!util::all_zero(all.data() + sizeof(daxfs_super), DAXFS_META_OFF - sizeof(daxfs_super)))
		r.problems.push_back("superblock page padding (bytes 256..4095) not zero");
	uint64_t meta_end = le64_to_cpu(sb.meta_off) + le64_to_cpu(sb.meta_size);
	if (!util::all_zero(all.data() + meta_end, le64_to_cpu(sb.data_off) - meta_end))
		r.problems.push_back("padding between the metadata and the data region not zero");
	for (uint32_t ino = 1; ino <= img->inode_count(); ino++) {
		Stat s = img->stat(ino);
		if (!S_ISREG(s.mode) || !s.size)
			continue;
		uint64_t end = s.data_offset + s.size;
		uint64_t page_end = (end + DAXFS_BLOCK_SIZE - 1) & ~uint64_t(DAXFS_BLOCK_SIZE - 1);
		if (!util::all_zero(all.data() + end, page_end - end))
			r.problems.push_back("inode " + std::to_string(ino) + ": bytes after the end of the file in its last page not zero");
	}
	return r;
}

FsckReport fsck(const std::string &path)
{
	util::Mapping m;
	try {
		m = util::Mapping::open(path);
	} catch (const std::system_error &e) {
		throw Error(e.what());
	}
	return fsck_bytes(m.bytes());
}

} // namespace daxpool::daxfs
