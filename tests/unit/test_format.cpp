// SPDX-License-Identifier: GPL-2.0-only
// The shared header matches docs/format.md byte for byte; CRC-32C and name order.
#include <cstddef>

#include <catch2/catch.hpp>

#include "lib/format/daxfs_format.h"

TEST_CASE("format: structure offsets match docs/format.md", "[format]")
{
	CHECK(offsetof(daxfs_super, magic) == 0);
	CHECK(offsetof(daxfs_super, version) == 4);
	CHECK(offsetof(daxfs_super, sb_size) == 6);
	CHECK(offsetof(daxfs_super, compat) == 8);
	CHECK(offsetof(daxfs_super, incompat) == 12);
	CHECK(offsetof(daxfs_super, total_size) == 16);
	CHECK(offsetof(daxfs_super, build_time) == 24);
	CHECK(offsetof(daxfs_super, inode_count) == 32);
	CHECK(offsetof(daxfs_super, dirent_count) == 40);
	CHECK(offsetof(daxfs_super, xattr_count) == 48);
	CHECK(offsetof(daxfs_super, meta_off) == 56);
	CHECK(offsetof(daxfs_super, meta_size) == 64);
	CHECK(offsetof(daxfs_super, dirent_off) == 72);
	CHECK(offsetof(daxfs_super, xattr_off) == 80);
	CHECK(offsetof(daxfs_super, str_off) == 88);
	CHECK(offsetof(daxfs_super, str_size) == 96);
	CHECK(offsetof(daxfs_super, data_off) == 104);
	CHECK(offsetof(daxfs_super, uuid) == 112);
	CHECK(offsetof(daxfs_super, label) == 128);
	CHECK(offsetof(daxfs_super, digest_type) == 192);
	CHECK(offsetof(daxfs_super, meta_crc) == 196);
	CHECK(offsetof(daxfs_super, digest) == 200);
	CHECK(offsetof(daxfs_super, reserved) == 216);
	CHECK(offsetof(daxfs_super, sb_crc) == DAXFS_SB_CRC_LEN);

	CHECK(offsetof(daxfs_inode, mode) == 0);
	CHECK(offsetof(daxfs_inode, nlink) == 4);
	CHECK(offsetof(daxfs_inode, uid) == 8);
	CHECK(offsetof(daxfs_inode, gid) == 12);
	CHECK(offsetof(daxfs_inode, size) == 16);
	CHECK(offsetof(daxfs_inode, mtime_sec) == 24);
	CHECK(offsetof(daxfs_inode, mtime_nsec) == 32);
	CHECK(offsetof(daxfs_inode, parent) == 36);
	CHECK(offsetof(daxfs_inode, data) == 40);
	CHECK(offsetof(daxfs_inode, xattr_index) == 48);
	CHECK(offsetof(daxfs_inode, xattr_count) == 56);

	CHECK(offsetof(daxfs_dirent, ino) == 0);
	CHECK(offsetof(daxfs_dirent, name_len) == 4);
	CHECK(offsetof(daxfs_dirent, type) == 6);
	CHECK(offsetof(daxfs_dirent, name_off) == 8);

	CHECK(offsetof(daxfs_xattr, off) == 0);
	CHECK(offsetof(daxfs_xattr, name_len) == 8);
	CHECK(offsetof(daxfs_xattr, value_len) == 12);
}

TEST_CASE("format: CRC-32C check value", "[format]")
{
	CHECK(daxfs_crc32c("123456789", 9) == 0xE3069283u);
	CHECK(daxfs_crc32c("", 0) == 0u);
	// Unaligned starts and lengths through the word loop agree with the byte loop.
	std::string s(1000, '\0');
	for (size_t i = 0; i < s.size(); i++)
		s[i] = static_cast<char>(i * 7 + 3);
	uint32_t whole = daxfs_crc32c(s.data() + 3, 990);
	CHECK(whole == daxfs_crc32c(std::string(s.data() + 3, 990).data(), 990));
	CHECK(whole != daxfs_crc32c(s.data() + 4, 990));
}

TEST_CASE("format: name order is by bytes, shorter first", "[format]")
{
	auto cmp = [](const char *a, const char *b) {
		return daxfs_name_cmp(reinterpret_cast<const u8 *>(a), static_cast<u32>(strlen(a)),
				      reinterpret_cast<const u8 *>(b), static_cast<u32>(strlen(b)));
	};
	CHECK(cmp("a", "b") < 0);
	CHECK(cmp("ab", "a") > 0);
	CHECK(cmp("a", "a") == 0);
	CHECK(cmp("Z", "a") < 0);
	CHECK(cmp("\xff", "z") > 0); // unsigned bytes
}

TEST_CASE("format: DT_ types from modes", "[format]")
{
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFREG | 0644) == DAXFS_DT_REG);
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFDIR) == DAXFS_DT_DIR);
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFLNK) == DAXFS_DT_LNK);
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFCHR) == DAXFS_DT_CHR);
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFBLK) == DAXFS_DT_BLK);
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFIFO) == DAXFS_DT_FIFO);
	CHECK(daxfs_mode_to_dtype(DAXFS_S_IFSOCK) == DAXFS_DT_SOCK);
	CHECK_FALSE(daxfs_valid_type(0));
	CHECK_FALSE(daxfs_valid_type(0170000));
}
