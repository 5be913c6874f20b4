// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: the shared validator, then (when it accepts) everything the reader and
// fsck do with an image. Any out-of-bounds access, UB or crash is a bug in the validator's
// promise that an accepted image can be used without further checks.
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/daxfs/fsck.hpp"
#include "lib/daxfs/image.hpp"

using namespace daxpool::daxfs;

namespace {

// Recomputes meta_crc and sb_crc so that mutations reach the structural checks instead of
// stopping at a checksum.
void fix_crcs(uint8_t *p, size_t size)
{
	if (size < DAXFS_META_OFF)
		return;
	auto *sb = reinterpret_cast<daxfs_super *>(p);
	uint64_t meta = le64_to_cpu(sb->meta_size);
	if (meta <= size - DAXFS_META_OFF)
		sb->meta_crc = cpu_to_le32(daxfs_crc32c(p + DAXFS_META_OFF, meta));
	sb->sb_crc = cpu_to_le32(daxfs_crc32c(p, DAXFS_SB_CRC_LEN));
}

void exercise(std::span<const uint8_t> bytes)
{
	try {
		Image img = Image::borrow(bytes);
		uint64_t sum = 0;
		walk(img, [&](const std::string &path, uint32_t ino) {
			Stat s = img.stat(ino);
			if (img.resolve(path) != ino && path != "/")
				__builtin_trap(); // every listed name must be found by lookup
			if (S_ISREG(s.mode)) {
				auto d = img.data(ino);
				for (size_t i = 0; i < d.size(); i += 4096)
					sum += d[i];
				if (!d.empty())
					sum += d[d.size() - 1];
			} else if (S_ISLNK(s.mode)) {
				sum += img.readlink(ino).size();
			}
			for (const auto &x : img.xattrs(ino))
				sum += x.name.size() + x.value.size();
		});
		for (uint32_t ino = 1; ino <= img.inode_count(); ino++)
			(void)img.lookup(ino, "a");
		(void)fsck_bytes(bytes);
		(void)sum;
	} catch (const InvalidImage &) {
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// The validator requires an 8-byte aligned mapping (mmap gives page alignment).
	std::vector<uint64_t> buf((size + 7) / 8);
	if (size)
		std::memcpy(buf.data(), data, size);
	auto *p = reinterpret_cast<uint8_t *>(buf.data());
	exercise({p, size});
	fix_crcs(p, size);
	exercise({p, size});
	return 0;
}
