// SPDX-License-Identifier: GPL-2.0-only
// Validator: every kind of corruption is rejected with its specific reason; no byte of the
// superblock or metadata can change unnoticed; truncation and garbage are rejected.
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <functional>

#include <catch2/catch.hpp>

#include "daxfs_helpers.hpp"
#include "daxfs_tree.hpp"

using namespace daxpool::daxfs;
using namespace daxtest;

namespace {

void *zalloc(size_t n, void *) { return std::calloc(n ? n : 1, 1); }
void zfree(void *p, void *) { std::free(p); }
const daxfs_alloc alloc = {zalloc, zfree, nullptr};

template <typename T> T get(const uint8_t *p)
{
	T v;
	std::memcpy(&v, p, sizeof v);
	if constexpr (sizeof(T) == 2)
		return le16toh(v);
	else if constexpr (sizeof(T) == 4)
		return le32toh(v);
	else if constexpr (sizeof(T) == 8)
		return le64toh(v);
	else
		return v;
}
template <typename T> void set(uint8_t *p, T v)
{
	if constexpr (sizeof(T) == 2)
		v = htole16(v);
	else if constexpr (sizeof(T) == 4)
		v = htole32(v);
	else if constexpr (sizeof(T) == 8)
		v = htole64(v);
	std::memcpy(p, &v, sizeof v);
}

// A mutable image plus the field addressing the tests need.
struct Mut {
	std::vector<uint8_t> b;
	uint8_t *sb() { return b.data(); }
	uint64_t sb64(size_t off) { return get<uint64_t>(b.data() + off); }
	uint8_t *inode(uint32_t ino) { return b.data() + DAXFS_META_OFF + (ino - 1) * 64ull; }
	uint8_t *dirent(uint64_t i) { return b.data() + sb64(offsetof(daxfs_super, dirent_off)) + i * 16; }
	uint8_t *xattr(uint64_t i) { return b.data() + sb64(offsetof(daxfs_super, xattr_off)) + i * 16; }
	uint8_t *str(uint64_t off) { return b.data() + sb64(offsetof(daxfs_super, str_off)) + off; }
	// Recomputes meta_crc and sb_crc so that the specific check, not a CRC, must catch it.
	void fix()
	{
		uint64_t meta = sb64(offsetof(daxfs_super, meta_size));
		if (meta <= b.size() - DAXFS_META_OFF)
			set<uint32_t>(sb() + offsetof(daxfs_super, meta_crc), daxfs_crc32c(b.data() + DAXFS_META_OFF, meta));
		set<uint32_t>(sb() + offsetof(daxfs_super, sb_crc), daxfs_crc32c(b.data(), DAXFS_SB_CRC_LEN));
	}
	daxfs_verr_code check(daxfs_verr *e = nullptr) const
	{
		daxfs_verr local;
		return daxfs_validate(b.data(), b.size(), &alloc, e ? e : &local);
	}
};

struct Fixture {
	TempDir t;
	std::vector<uint8_t> pristine;
	std::optional<Image> img;
	Fixture()
	{
		require_root();
		std::string src = t / "src";
		REQUIRE(::mkdir(src.c_str(), 0755) == 0);
		make_tree(src);
		build(src, t / "img");
		pristine = read_bytes(t / "img");
		img.emplace(Image::open(t / "img"));
	}
	uint32_t ino(const std::string &p) { return *img->resolve(p); }
	// Index in the dirent table of the entry naming path.
	uint64_t dirent_index(const std::string &dir, const std::string &name)
	{
		uint32_t d = ino(dir);
		uint64_t first = le64_to_cpu(reinterpret_cast<const daxfs_inode *>(pristine.data() + DAXFS_META_OFF)[d - 1].data);
		auto entries = img->readdir(d);
		for (size_t i = 0; i < entries.size(); i++)
			if (entries[i].name == name)
				return first + i;
		FAIL("no entry " + name);
		return 0;
	}
};

struct Case {
	const char *what;
	std::function<void(Fixture &, Mut &)> mutate;
	daxfs_verr_code want;
	bool fix = true;
};

} // namespace

TEST_CASE("validator: the pristine image is valid", "[validator]")
{
	Fixture f;
	Mut m{f.pristine};
	daxfs_verr e;
	CHECK(m.check(&e) == DAXFS_OK);
	CHECK(std::string(e.msg) == "ok");
	// A longer mapping than the image is fine (a pool slot is larger than the image).
	m.b.resize(m.b.size() + 8192);
	CHECK(m.check() == DAXFS_OK);
}

TEST_CASE("validator: page_sizes 0 and 4096 mean the same, valid on a 4 KiB layout", "[validator]")
{
	Fixture f;
	Mut m{f.pristine};
	CHECK(le32_to_cpu(reinterpret_cast<const daxfs_super *>(m.sb())->page_sizes) == 0);
	set<uint32_t>(m.sb() + offsetof(daxfs_super, page_sizes), 4096);
	m.fix();
	CHECK(m.check() == DAXFS_OK);
	CHECK(daxfs_page_sizes(reinterpret_cast<const daxfs_super *>(m.sb())) == 4096);
}

TEST_CASE("validator: each corruption is rejected with its specific reason", "[validator]")
{
	Fixture f;
	using S = daxfs_super;
	using I = daxfs_inode;
	using D = daxfs_dirent;
	using X = daxfs_xattr;
	const std::vector<Case> cases = {
		// Superblock.
		{"magic", [](Fixture &, Mut &m) { m.sb()[0] ^= 1; }, DAXFS_E_MAGIC},
		{"version", [](Fixture &, Mut &m) { set<uint16_t>(m.sb() + offsetof(S, version), 2); }, DAXFS_E_VERSION},
		{"superblock byte without CRC update", [](Fixture &, Mut &m) { m.sb()[offsetof(S, label)] ^= 1; }, DAXFS_E_SB_CRC, false},
		{"incompat feature", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, incompat), 1); }, DAXFS_E_FEATURES},
		{"sb_size", [](Fixture &, Mut &m) { set<uint16_t>(m.sb() + offsetof(S, sb_size), 512); }, DAXFS_E_SB_FIELD},
		{"digest_type", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, digest_type), 7); }, DAXFS_E_SB_FIELD},
		{"reserved", [](Fixture &, Mut &m) { m.sb()[offsetof(S, reserved) + 5] = 1; }, DAXFS_E_SB_FIELD},
		{"page_sizes below 4 KiB", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, page_sizes), 4096 | 2048); }, DAXFS_E_SB_FIELD},
		{"page_sizes above 2 MiB", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, page_sizes), 4u << 20); }, DAXFS_E_SB_FIELD},
		{"page_sizes 64 KiB, extents 4 KiB aligned", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, page_sizes), 65536); }, DAXFS_E_ALIGN},
		{"label not terminated", [](Fixture &, Mut &m) { std::memset(m.sb() + offsetof(S, label), 'x', 64); }, DAXFS_E_SB_FIELD},
		{"label garbage after NUL", [](Fixture &, Mut &m) { m.sb()[offsetof(S, label) + 10] = 'x'; }, DAXFS_E_SB_FIELD},
		{"total_size past the mapping", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, total_size), m.b.size() + 4096); }, DAXFS_E_GEOMETRY},
		{"total_size unaligned", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, total_size), m.b.size() - 1); }, DAXFS_E_GEOMETRY},
		{"total_size huge", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, total_size), ~0ull << 12); }, DAXFS_E_GEOMETRY},
		{"meta_off", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, meta_off), 8192); }, DAXFS_E_GEOMETRY},
		{"inode_count zero", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, inode_count), 0); }, DAXFS_E_GEOMETRY},
		{"inode_count +1", [](Fixture &, Mut &m) { set<uint32_t>(m.sb() + offsetof(S, inode_count), get<uint32_t>(m.sb() + offsetof(S, inode_count)) + 1); }, DAXFS_E_GEOMETRY},
		{"dirent_count overflow", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, dirent_count), 1ull << 60); }, DAXFS_E_GEOMETRY},
		{"xattr_count +1", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, xattr_count), m.sb64(offsetof(S, xattr_count)) + 1); }, DAXFS_E_GEOMETRY},
		{"dirent_off", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, dirent_off), m.sb64(offsetof(S, dirent_off)) + 16); }, DAXFS_E_GEOMETRY},
		{"xattr_off", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, xattr_off), m.sb64(offsetof(S, xattr_off)) - 16); }, DAXFS_E_GEOMETRY},
		{"str_off", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, str_off), m.sb64(offsetof(S, str_off)) + 1); }, DAXFS_E_GEOMETRY},
		{"str_size", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, str_size), ~0ull); }, DAXFS_E_GEOMETRY},
		{"meta_size", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, meta_size), m.sb64(offsetof(S, meta_size)) + 1); }, DAXFS_E_GEOMETRY},
		{"data_off unaligned", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, data_off), m.sb64(offsetof(S, data_off)) + 1); }, DAXFS_E_GEOMETRY},
		{"data_off inside the metadata", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, data_off), 4096); }, DAXFS_E_GEOMETRY},
		{"data_off past the end", [](Fixture &, Mut &m) { set<uint64_t>(m.sb() + offsetof(S, data_off), m.sb64(offsetof(S, total_size)) + 4096); }, DAXFS_E_GEOMETRY},
		{"metadata byte without CRC update", [](Fixture &, Mut &m) { m.inode(1)[offsetof(I, uid)] ^= 1; }, DAXFS_E_META_CRC, false},
		// Inodes.
		{"inode type", [](Fixture &f, Mut &m) { set<uint16_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, mode), 0170644); }, DAXFS_E_INODE_TYPE},
		{"inode type zero", [](Fixture &f, Mut &m) { set<uint16_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, mode), 0644); }, DAXFS_E_INODE_TYPE},
		{"root not a directory", [](Fixture &, Mut &m) { set<uint16_t>(m.inode(1) + offsetof(I, mode), S_IFREG | 0644); }, DAXFS_E_INODE_TYPE},
		{"inode reserved0", [](Fixture &f, Mut &m) { m.inode(f.ino("/hello.txt"))[offsetof(I, reserved0)] = 1; }, DAXFS_E_INODE_FIELD},
		{"inode reserved1", [](Fixture &f, Mut &m) { m.inode(f.ino("/dir"))[offsetof(I, reserved1)] = 1; }, DAXFS_E_INODE_FIELD},
		{"mtime_nsec", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, mtime_nsec), 1000000000); }, DAXFS_E_INODE_FIELD},
		{"parent on a file", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, parent), 1); }, DAXFS_E_INODE_FIELD},
		{"fifo with data", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/fifo")) + offsetof(I, data), 4096); }, DAXFS_E_INODE_FIELD},
		{"device with size", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/null")) + offsetof(I, size), 1); }, DAXFS_E_INODE_FIELD},
		{"device major", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/null")) + offsetof(I, data), 4096ull << 32); }, DAXFS_E_DEVICE},
		{"device minor", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/null")) + offsetof(I, data), 1u << 20); }, DAXFS_E_DEVICE},
		// Extents.
		{"extent past the end", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, data), m.sb64(offsetof(S, total_size))); }, DAXFS_E_EXTENT},
		{"extent wraps around", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, data), ~0ull << 12); }, DAXFS_E_EXTENT},
		{"extent in the metadata", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, data), 4096); }, DAXFS_E_EXTENT},
		{"size past the end", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/dir/sub/odd")) + offsetof(I, size), m.sb64(offsetof(S, total_size))); }, DAXFS_E_EXTENT},
		{"size huge", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/dir/sub/odd")) + offsetof(I, size), ~0ull); }, DAXFS_E_EXTENT},
		{"last page past the end", [](Fixture &f, Mut &m) {
			 uint64_t total = m.sb64(offsetof(S, total_size));
			 set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, data), total - 4096);
			 set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, size), 4097);
		 }, DAXFS_E_EXTENT},
		{"empty file with an extent", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/empty")) + offsetof(I, data), m.sb64(offsetof(S, data_off))); }, DAXFS_E_EXTENT},
		{"extent misaligned", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, data), m.sb64(offsetof(S, data_off)) + 512); }, DAXFS_E_ALIGN},
		{"2 MiB file not 2 MiB aligned", [](Fixture &f, Mut &m) {
			 uint8_t *in = m.inode(f.ino("/dir/big3m"));
			 set<uint64_t>(in + offsetof(I, data), get<uint64_t>(in + offsetof(I, data)) - 4096);
		 }, DAXFS_E_ALIGN},
		// Directories.
		{"directory range start", [](Fixture &f, Mut &m) { uint8_t *in = m.inode(f.ino("/dir")); set<uint64_t>(in + offsetof(I, data), get<uint64_t>(in + offsetof(I, data)) + 1); }, DAXFS_E_DIR_RANGE},
		{"directory size past the table", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/emptydir")) + offsetof(I, size), 1ull << 40); }, DAXFS_E_DIR_RANGE},
		{"directory size one short", [](Fixture &, Mut &m) { uint8_t *in = m.inode(1); set<uint64_t>(in + offsetof(I, size), get<uint64_t>(in + offsetof(I, size)) - 1); }, DAXFS_E_DIR_RANGE},
		{"root parent", [](Fixture &, Mut &m) { set<uint32_t>(m.inode(1) + offsetof(I, parent), 2); }, DAXFS_E_DIR_PARENT},
		{"parent not below", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/dir")) + offsetof(I, parent), f.ino("/dir")); }, DAXFS_E_DIR_PARENT},
		{"parent zero", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/dir")) + offsetof(I, parent), 0); }, DAXFS_E_DIR_PARENT},
		{"parent not a directory", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/dir/sub")) + offsetof(I, parent), f.ino("/bigdev")); }, DAXFS_E_DIR_PARENT},
		{"parent is another directory", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/dir/sub")) + offsetof(I, parent), f.ino("/emptydir")); }, DAXFS_E_DIR_LINK},
		{"directory nlink", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/dir")) + offsetof(I, nlink), 2); }, DAXFS_E_NLINK},
		// Symlinks.
		{"symlink length zero", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/symlink")) + offsetof(I, size), 0); }, DAXFS_E_SYMLINK},
		{"symlink length 4096", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/longlink")) + offsetof(I, size), 4096); }, DAXFS_E_SYMLINK},
		{"symlink outside the pool", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/symlink")) + offsetof(I, data), m.sb64(offsetof(S, str_size))); }, DAXFS_E_SYMLINK},
		{"symlink NUL inside", [](Fixture &f, Mut &m) { uint64_t off = get<uint64_t>(m.inode(f.ino("/symlink")) + offsetof(I, data)); *m.str(off + 2) = 0; }, DAXFS_E_SYMLINK},
		{"symlink not terminated", [](Fixture &f, Mut &m) { uint8_t *in = m.inode(f.ino("/symlink")); set<uint64_t>(in + offsetof(I, size), get<uint64_t>(in + offsetof(I, size)) - 1); }, DAXFS_E_SYMLINK},
		{"symlink targets overlap", [](Fixture &f, Mut &m) {
			 // Point the later-numbered symlink at the earlier one's target.
			 uint32_t a = f.ino("/symlink"), b = f.ino("/dangling");
			 uint32_t lo = std::min(a, b), hi = std::max(a, b);
			 std::memcpy(m.inode(hi) + offsetof(I, size), m.inode(lo) + offsetof(I, size), 8);
			 std::memcpy(m.inode(hi) + offsetof(I, data), m.inode(lo) + offsetof(I, data), 8);
		 }, DAXFS_E_SYMLINK},
		// Xattrs.
		{"xattr index without count", [](Fixture &f, Mut &m) { set<uint64_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, xattr_index), 1); }, DAXFS_E_XATTR_RANGE},
		{"xattr range start", [](Fixture &f, Mut &m) { uint8_t *in = m.inode(f.ino("/xattrs")); set<uint64_t>(in + offsetof(I, xattr_index), get<uint64_t>(in + offsetof(I, xattr_index)) + 1); }, DAXFS_E_XATTR_RANGE},
		{"xattr count past the table", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/xattrs")) + offsetof(I, xattr_count), 1000); }, DAXFS_E_XATTR_RANGE},
		{"xattr count one short", [](Fixture &f, Mut &m) { uint8_t *in = m.inode(f.ino("/xattrs")); set<uint32_t>(in + offsetof(I, xattr_count), get<uint32_t>(in + offsetof(I, xattr_count)) - 1); }, DAXFS_E_XATTR_RANGE},
		{"xattr name length zero", [](Fixture &, Mut &m) { set<uint16_t>(m.xattr(0) + offsetof(X, name_len), 0); }, DAXFS_E_XATTR},
		{"xattr name length 256", [](Fixture &, Mut &m) { set<uint16_t>(m.xattr(0) + offsetof(X, name_len), 256); }, DAXFS_E_XATTR},
		{"xattr value too long", [](Fixture &, Mut &m) { set<uint32_t>(m.xattr(0) + offsetof(X, value_len), 65537); }, DAXFS_E_XATTR},
		{"xattr outside the pool", [](Fixture &, Mut &m) { set<uint64_t>(m.xattr(0) + offsetof(X, off), m.sb64(offsetof(S, str_size)) - 2); }, DAXFS_E_XATTR},
		{"xattr reserved", [](Fixture &, Mut &m) { m.xattr(0)[offsetof(X, reserved)] = 1; }, DAXFS_E_XATTR},
		{"xattr unknown prefix", [](Fixture &, Mut &m) { *m.str(get<uint64_t>(m.xattr(0))) = 'X'; }, DAXFS_E_XATTR},
		{"xattr prefix only", [](Fixture &f, Mut &m) {
			 uint8_t *in = m.inode(f.ino("/caps")); // "security.capability" -> "security."
			 set<uint16_t>(m.xattr(get<uint64_t>(in + offsetof(I, xattr_index))) + offsetof(X, name_len), 9);
		 }, DAXFS_E_XATTR},
		{"xattr NUL in name", [](Fixture &, Mut &m) { *m.str(get<uint64_t>(m.xattr(0)) + 6) = 0; }, DAXFS_E_XATTR},
		{"xattrs not sorted", [](Fixture &f, Mut &m) {
			 uint64_t i = get<uint64_t>(m.inode(f.ino("/xattrs")) + offsetof(I, xattr_index));
			 uint8_t tmp[16];
			 std::memcpy(tmp, m.xattr(i), 16);
			 std::memcpy(m.xattr(i), m.xattr(i + 1), 16);
			 std::memcpy(m.xattr(i + 1), tmp, 16);
		 }, DAXFS_E_XATTR_ORDER},
		{"duplicate xattr", [](Fixture &f, Mut &m) {
			 uint64_t i = get<uint64_t>(m.inode(f.ino("/xattrs")) + offsetof(I, xattr_index));
			 std::memcpy(m.xattr(i + 1), m.xattr(i), 16);
		 }, DAXFS_E_XATTR_ORDER},
		// Directory entries.
		{"entry inode zero", [](Fixture &f, Mut &m) { set<uint32_t>(m.dirent(f.dirent_index("/", "hello.txt")), 0); }, DAXFS_E_DIRENT_INO},
		{"entry names the root", [](Fixture &f, Mut &m) { set<uint32_t>(m.dirent(f.dirent_index("/dir", "page")), 1); }, DAXFS_E_DIRENT_INO},
		{"entry inode past the table", [](Fixture &f, Mut &m) { set<uint32_t>(m.dirent(f.dirent_index("/", "hello.txt")), 1u << 30); }, DAXFS_E_DIRENT_INO},
		{"entry name length zero", [](Fixture &f, Mut &m) { set<uint16_t>(m.dirent(f.dirent_index("/", "hello.txt")) + offsetof(D, name_len), 0); }, DAXFS_E_DIRENT_NAME},
		{"entry name length 256", [](Fixture &f, Mut &m) { set<uint16_t>(m.dirent(f.dirent_index("/", long_name)) + offsetof(D, name_len), 256); }, DAXFS_E_DIRENT_NAME},
		{"entry name outside the pool", [](Fixture &f, Mut &m) { set<uint64_t>(m.dirent(f.dirent_index("/", "hello.txt")) + offsetof(D, name_off), ~0ull - 3); }, DAXFS_E_DIRENT_NAME},
		{"entry name with '/'", [](Fixture &f, Mut &m) { *m.str(get<uint64_t>(m.dirent(f.dirent_index("/", "hello.txt")) + offsetof(D, name_off)) + 5) = '/'; }, DAXFS_E_DIRENT_NAME},
		{"entry name with NUL", [](Fixture &f, Mut &m) { *m.str(get<uint64_t>(m.dirent(f.dirent_index("/", "hello.txt")) + offsetof(D, name_off)) + 5) = 0; }, DAXFS_E_DIRENT_NAME},
		{"entry named .", [](Fixture &f, Mut &m) { uint8_t *d = m.dirent(f.dirent_index("/", "bigdev")); set<uint16_t>(d + offsetof(D, name_len), 1); *m.str(get<uint64_t>(d + offsetof(D, name_off))) = '.'; }, DAXFS_E_DIRENT_NAME},
		{"entry reserved", [](Fixture &f, Mut &m) { m.dirent(f.dirent_index("/", "hello.txt"))[offsetof(D, reserved)] = 1; }, DAXFS_E_DIRENT_NAME},
		{"entries not sorted", [](Fixture &f, Mut &m) {
			 uint64_t i = f.dirent_index("/", "bigdev");
			 uint8_t tmp[16];
			 std::memcpy(tmp, m.dirent(i), 16);
			 std::memcpy(m.dirent(i), m.dirent(i + 1), 16);
			 std::memcpy(m.dirent(i + 1), tmp, 16);
		 }, DAXFS_E_DIRENT_ORDER},
		{"duplicate names", [](Fixture &f, Mut &m) {
			 uint64_t i = f.dirent_index("/", "hello.txt");
			 std::memcpy(m.dirent(i + 1) + offsetof(D, name_off), m.dirent(i) + offsetof(D, name_off), 8);
			 std::memcpy(m.dirent(i + 1) + offsetof(D, name_len), m.dirent(i) + offsetof(D, name_len), 2);
		 }, DAXFS_E_DIRENT_ORDER},
		{"entry type", [](Fixture &f, Mut &m) { m.dirent(f.dirent_index("/", "hello.txt"))[offsetof(D, type)] = DAXFS_DT_DIR; }, DAXFS_E_DIRENT_TYPE},
		{"directory named twice", [](Fixture &f, Mut &m) {
			 // /bigdev (a char device, same first-level directory) now names /dir as well.
			 uint8_t *d = m.dirent(f.dirent_index("/", "bigdev"));
			 set<uint32_t>(d, f.ino("/dir"));
			 d[offsetof(D, type)] = DAXFS_DT_DIR;
		 }, DAXFS_E_DIR_LINK},
		{"cycle: an entry names an ancestor", [](Fixture &f, Mut &m) {
			 uint8_t *d = m.dirent(f.dirent_index("/dir/sub/deeper", "setuid"));
			 set<uint32_t>(d, f.ino("/dir"));
			 d[offsetof(D, type)] = DAXFS_DT_DIR;
		 }, DAXFS_E_DIR_LINK},
		{"unreachable inode", [](Fixture &f, Mut &m) {
			 // The entry for the lower-numbered of two single-link files names the other.
			 uint32_t a = f.ino("/hello.txt"), b = f.ino("/owned");
			 REQUIRE(a < b);
			 set<uint32_t>(m.dirent(f.dirent_index("/", "hello.txt")), b);
			 set<uint32_t>(m.inode(b) + offsetof(I, nlink), 2);
		 }, DAXFS_E_UNREACHABLE},
		{"file nlink", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/linked")) + offsetof(I, nlink), 2); }, DAXFS_E_NLINK},
		{"file nlink zero", [](Fixture &f, Mut &m) { set<uint32_t>(m.inode(f.ino("/hello.txt")) + offsetof(I, nlink), 0); }, DAXFS_E_NLINK},
	};
	for (const Case &c : cases) {
		Mut m{f.pristine};
		c.mutate(f, m);
		if (c.fix)
			m.fix();
		daxfs_verr e;
		daxfs_verr_code got = m.check(&e);
		INFO(c.what << ": got " << daxfs_verr_str(got) << " (" << e.msg << "), want " << daxfs_verr_str(c.want));
		CHECK(got == c.want);
		CHECK(e.code == got);
		CHECK(std::strlen(e.msg) > 0);
		// The reader refuses it with the same reason.
		if (got != DAXFS_OK)
			CHECK_THROWS_AS(Image::borrow(m.b), InvalidImage);
		// The superblock check alone (the kernel's first step) agrees on superblock faults
		// and passes everything else on to the full validation.
		daxfs_verr se;
		daxfs_verr_code sgot = daxfs_validate_super(reinterpret_cast<const daxfs_super *>(m.b.data()), m.b.size(), &se);
		if (got >= DAXFS_E_MAGIC && got <= DAXFS_E_GEOMETRY)
			CHECK(sgot == got);
		else
			CHECK(sgot == DAXFS_OK);
	}
}

TEST_CASE("validator: the superblock check bounds the metadata by the mapping", "[validator]")
{
	Fixture f;
	using S = daxfs_super;
	Mut m{f.pristine};
	daxfs_verr e;
	auto sb = [&] { return reinterpret_cast<const daxfs_super *>(m.b.data()); };
	REQUIRE(daxfs_validate_super(sb(), m.b.size(), &e) == DAXFS_OK);
	CHECK(std::string(e.msg) == "ok");
	uint64_t end = m.sb64(offsetof(S, str_off)) + m.sb64(offsetof(S, str_size));
	CHECK(end <= m.sb64(offsetof(S, data_off)));
	// Only the superblock is read: the rest of the mapping need not be there.
	std::vector<uint8_t> head(m.b.begin(), m.b.begin() + sizeof(S));
	CHECK(daxfs_validate_super(reinterpret_cast<const daxfs_super *>(head.data()), m.b.size(), &e) == DAXFS_OK);
	// A huge string pool with a valid superblock checksum: refused before anything is copied,
	// whether or not the metadata size was adjusted to match.
	set<uint64_t>(m.sb() + offsetof(S, str_size), 1ull << 40);
	m.fix();
	CHECK(daxfs_validate_super(sb(), 1ull << 42, &e) == DAXFS_E_GEOMETRY);
	set<uint64_t>(m.sb() + offsetof(S, meta_size), m.sb64(offsetof(S, str_off)) + (1ull << 40) - DAXFS_META_OFF);
	m.fix();
	CHECK(daxfs_validate_super(sb(), 1ull << 42, &e) == DAXFS_E_GEOMETRY); // data_off before its end
	// Consistent geometry, but the image (and so its metadata) is larger than the mapping.
	uint64_t data = (m.sb64(offsetof(S, str_off)) + (1ull << 40) + 4095) & ~4095ull;
	set<uint64_t>(m.sb() + offsetof(S, data_off), data);
	set<uint64_t>(m.sb() + offsetof(S, total_size), data + 4096);
	m.fix();
	CHECK(daxfs_validate_super(sb(), m.b.size(), &e) == DAXFS_E_GEOMETRY);
	CHECK(daxfs_validate_super(sb(), data + 4096, &e) == DAXFS_OK);
}

TEST_CASE("validator: messages name the inode", "[validator]")
{
	Fixture f;
	Mut m{f.pristine};
	uint32_t ino = f.ino("/dir/sub/odd");
	set<uint64_t>(m.inode(ino) + offsetof(daxfs_inode, data), m.sb64(offsetof(daxfs_super, data_off)) + 100);
	m.fix();
	daxfs_verr e;
	REQUIRE(m.check(&e) == DAXFS_E_ALIGN);
	CHECK(e.ino == ino);
	CHECK_THAT(std::string(e.msg), Catch::Contains("inode " + std::to_string(ino)));
}

TEST_CASE("validator: no byte of the superblock or metadata changes unnoticed", "[validator]")
{
	Fixture f;
	uint64_t meta_end = DAXFS_META_OFF + le64_to_cpu(reinterpret_cast<const daxfs_super *>(f.pristine.data())->meta_size);
	std::vector<uint64_t> offsets;
	for (uint64_t i = 0; i < sizeof(daxfs_super); i++)
		offsets.push_back(i);
	for (uint64_t i = DAXFS_META_OFF; i < meta_end; i++)
		offsets.push_back(i);
	size_t accepted = 0;
	for (uint64_t off : offsets) {
		for (uint8_t bit : {0x01, 0x80}) {
			Mut m{f.pristine};
			m.b[off] ^= bit;
			daxfs_verr_code got = m.check();
			INFO("byte " << off << " bit " << int(bit));
			CHECK(got != DAXFS_OK);
			// With the CRCs fixed up the structure checks take over: whatever they accept must
			// still be readable in full by the reader (no out-of-bounds access under ASan in
			// the fuzz build; here: no exception).
			m.fix();
			if (m.check() == DAXFS_OK) {
				accepted++;
				Image img = Image::borrow(m.b);
				walk(img, [&](const std::string &, uint32_t ino) {
					Stat s = img.stat(ino);
					if (S_ISREG(s.mode))
						(void)img.data(ino);
					if (S_ISLNK(s.mode))
						(void)img.readlink(ino);
					(void)img.xattrs(ino);
				});
			}
		}
	}
	// Names, times, owners, xattr values... can legitimately change; most fields cannot.
	CHECK(accepted < 2 * offsets.size());
}

TEST_CASE("validator: truncated, misaligned and garbage mappings", "[validator]")
{
	Fixture f;
	daxfs_verr e;
	CHECK(daxfs_validate(f.pristine.data(), 100, &alloc, &e) == DAXFS_E_TOO_SMALL);
	CHECK(daxfs_validate(f.pristine.data(), f.pristine.size() - 4096, &alloc, &e) == DAXFS_E_GEOMETRY);
	std::vector<uint8_t> shifted(f.pristine.size() + 1);
	std::memcpy(shifted.data() + 1, f.pristine.data(), f.pristine.size());
	CHECK(daxfs_validate(shifted.data() + 1, f.pristine.size(), &alloc, &e) == DAXFS_E_TOO_SMALL);
	std::vector<uint8_t> zeros(1 << 16);
	CHECK(daxfs_validate(zeros.data(), zeros.size(), &alloc, &e) == DAXFS_E_MAGIC);
	// Allocation failure is reported, not a crash.
	daxfs_alloc failing = {[](size_t, void *) -> void * { return nullptr; }, zfree, nullptr};
	CHECK(daxfs_validate(f.pristine.data(), f.pristine.size(), &failing, &e) == DAXFS_E_NOMEM);
}
