// SPDX-License-Identifier: GPL-2.0-only
#include "pool/superblock.hpp"

#include <algorithm>
#include <cstring>

#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/names.hpp"

namespace daxpool::pool {

namespace {

// [a, a + alen) and [b, b + blen) disjoint.
bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) { return a + alen <= b || b + blen <= a; }

} // namespace

void set_super_crc(PoolSuper &sb) { sb.crc = daxfs_crc32c(&sb, CRC_LEN); }

PoolSuper make_super(const Uuid &uuid, const std::string &name, uint64_t pool_size, int64_t created)
{
	PoolSuper sb{};
	std::memcpy(sb.magic, POOL_MAGIC, sizeof sb.magic);
	sb.version = POOL_VERSION;
	sb.sb_size = sizeof(PoolSuper);
	sb.generation = 1;
	std::copy(uuid.begin(), uuid.end(), sb.uuid);
	put_name(sb.name, name);
	sb.pool_size = pool_size;
	sb.created = created;
	sb.backup_off = BACKUP_SB_OFF;
	sb.host_table_off = HOST_TABLE_OFF;
	sb.host_slots = HOST_SLOTS;
	sb.host_slot_size = HOST_SLOT_SIZE;
	sb.catalog_off = CATALOG_OFF;
	sb.catalog_slots = CATALOG_SLOTS;
	sb.catalog_slot_size = CATALOG_SLOT_SIZE;
	sb.data_off = DATA_OFF;
	sb.extent_align = EXTENT_ALIGN;
	set_super_crc(sb);
	return sb;
}

bool has_pool_magic(const PoolSuper &sb) { return std::memcmp(sb.magic, POOL_MAGIC, sizeof sb.magic) == 0; }

std::string check_super(const PoolSuper &sb, uint64_t mapped)
{
	if (!has_pool_magic(sb))
		return "no daxpool magic";
	if (sb.crc != daxfs_crc32c(&sb, CRC_LEN))
		return "bad checksum";
	if (sb.version != POOL_VERSION)
		return "unsupported version " + std::to_string(sb.version);
	if (sb.sb_size != sizeof(PoolSuper))
		return "bad sb_size " + std::to_string(sb.sb_size);
	if (sb.incompat)
		return "unknown incompatible features " + std::to_string(sb.incompat);
	if (!util::all_zero(sb.reserved, sizeof sb.reserved))
		return "reserved bytes not zero";
	if (!valid_name(std::string_view(sb.name, strnlen(sb.name, sizeof sb.name))) ||
	    !name_padding_ok(sb.name))
		return "bad pool name";
	if (sb.extent_align != EXTENT_ALIGN)
		return "extent alignment " + std::to_string(sb.extent_align) + " is not 2 MiB";
	if (sb.backup_off != BACKUP_SB_OFF)
		return "backup superblock offset is not " + std::to_string(BACKUP_SB_OFF);
	if (sb.pool_size < MIN_POOL_SIZE || sb.pool_size % EXTENT_ALIGN)
		return "pool size " + std::to_string(sb.pool_size) + " is not a multiple of 2 MiB of at least 4 MiB";
	if (sb.pool_size > mapped)
		return "pool size " + std::to_string(sb.pool_size) + " exceeds the " + std::to_string(mapped) +
		       " bytes of the device";
	if (sb.data_off % EXTENT_ALIGN || sb.data_off < BACKUP_SB_OFF + 4096 || sb.data_off >= sb.pool_size)
		return "bad data area offset";
	if (sb.host_slot_size % LINE || sb.host_slot_size == 0 || sb.host_table_off % 4096 ||
	    sb.catalog_slot_size != CATALOG_SLOT_SIZE || sb.catalog_off % 4096 || sb.catalog_slots == 0)
		return "bad host table or catalog geometry";
	uint64_t ht_len = uint64_t(sb.host_slots) * sb.host_slot_size;
	uint64_t cat_len = uint64_t(sb.catalog_slots) * sb.catalog_slot_size;
	// Every area inside the header [0, data_off), none overlapping another or a superblock. The
	// offsets are checked against data_off before anything is added to them: a crafted (CRC-valid)
	// superblock must not wrap off + len around 2^64 into the header. After these checks every
	// sum below is at most data_off.
	auto inside = [&](uint64_t off, uint64_t len) { return off >= 4096 && off < sb.data_off && len <= sb.data_off - off; };
	if (!inside(sb.host_table_off, ht_len) || !inside(sb.catalog_off, cat_len) ||
	    !disjoint(sb.host_table_off, ht_len, sb.catalog_off, cat_len) ||
	    !disjoint(sb.host_table_off, ht_len, BACKUP_SB_OFF, 4096) ||
	    !disjoint(sb.catalog_off, cat_len, BACKUP_SB_OFF, 4096))
		return "host table or catalog outside the header or overlapping";
	return {};
}

std::optional<PoolSuper> SuperCopies::chosen() const
{
	bool p = primary_problem.empty(), b = backup_problem.empty();
	if (p && b)
		return backup.generation > primary.generation ? backup : primary;
	if (p)
		return primary;
	if (b)
		return backup;
	return std::nullopt;
}

SuperCopies read_supers(const Shared &sh)
{
	SuperCopies c;
	auto get = [&](uint64_t off, PoolSuper &sb, std::string &problem) {
		if (sh.size() < off + sizeof(PoolSuper)) {
			problem = "device too small";
			return;
		}
		sb = sh.read_obj<PoolSuper>(off);
		problem = check_super(sb, sh.size());
	};
	get(PRIMARY_SB_OFF, c.primary, c.primary_problem);
	get(BACKUP_SB_OFF, c.backup, c.backup_problem);
	return c;
}

void write_super_copy(Shared &sh, uint64_t off, const PoolSuper &sb)
{
	sh.commit_obj(off, sb);
}

void write_supers(Shared &sh, const PoolSuper &sb)
{
	write_super_copy(sh, BACKUP_SB_OFF, sb);
	write_super_copy(sh, PRIMARY_SB_OFF, sb);
}

std::string super_name(const PoolSuper &sb) { return std::string(sb.name, strnlen(sb.name, sizeof sb.name)); }

} // namespace daxpool::pool
