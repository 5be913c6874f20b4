// SPDX-License-Identifier: GPL-2.0-only
// The pool on media, version 1: every structure and constant of docs/pool-format.md. All
// integers are little-endian; sizes and offsets are checked at compile time. Nothing here reads
// or writes the shared mapping: that is shmem.hpp's job (catalog.cpp and superblock.cpp encode
// and decode these structs in private buffers).
#pragma once

#include <cstddef>
#include <cstdint>

namespace daxpool::pool {

inline constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;

inline constexpr char POOL_MAGIC[8] = {'D', 'A', 'X', 'P', 'O', 'O', 'L', '1'};
inline constexpr uint32_t POOL_VERSION = 1;
inline constexpr uint32_t ENTRY_MAGIC = 0x45435044u; // bytes "DPCE"
inline constexpr uint32_t DIGEST_XXH3_128 = 1;       // the daxfs digest type

inline constexpr uint64_t LINE = 64;                 // cache line: the unit of a single writer
inline constexpr uint64_t EXTENT_ALIGN = 2 * MiB;    // data extents: PMD-mappable
inline constexpr uint64_t NAME_SIZE = 64;            // names: 1..63 bytes, NUL padded

// v1 geometry (recorded in the superblock; readers use the recorded values after checking them,
// except the backup superblock's offset, which is fixed so it can be found without the primary).
inline constexpr uint64_t PRIMARY_SB_OFF = 0;
inline constexpr uint64_t BACKUP_SB_OFF = 2 * MiB - 4 * KiB;
inline constexpr uint64_t HOST_TABLE_OFF = 64 * KiB;
inline constexpr uint32_t HOST_SLOTS = 128;
inline constexpr uint32_t HOST_SLOT_SIZE = 2048;
inline constexpr uint64_t CATALOG_OFF = HOST_TABLE_OFF + uint64_t(HOST_SLOTS) * HOST_SLOT_SIZE; // 320 KiB
inline constexpr uint32_t CATALOG_SLOTS = 2048;
inline constexpr uint32_t CATALOG_SLOT_SIZE = 512; // two 256-byte copies of an entry
inline constexpr uint64_t DATA_OFF = 2 * MiB;
inline constexpr uint64_t MIN_POOL_SIZE = DATA_OFF + EXTENT_ALIGN;
static_assert(CATALOG_OFF + uint64_t(CATALOG_SLOTS) * CATALOG_SLOT_SIZE <= BACKUP_SB_OFF);

// The pool superblock: 256 bytes at offset 0 (primary) and BACKUP_SB_OFF (backup); the rest of
// each 4 KiB page is zero.
struct PoolSuper {
	char magic[8];             // "DAXPOOL1"
	uint32_t version;          // 1
	uint32_t sb_size;          // 256
	uint32_t compat;           // unknown bits ignored
	uint32_t incompat;         // unknown bits: refuse (none in v1)
	uint64_t generation;       // bumped by every rewrite of the superblock (create: 1)
	uint8_t uuid[16];          // pool UUID (v4), names the writer lock
	char name[NAME_SIZE];      // pool name
	uint64_t pool_size;        // bytes of the pool, a multiple of 2 MiB
	int64_t created;           // seconds since the epoch
	uint64_t backup_off;       // BACKUP_SB_OFF
	uint64_t host_table_off;
	uint32_t host_slots;
	uint32_t host_slot_size;
	uint64_t catalog_off;
	uint32_t catalog_slots;
	uint32_t catalog_slot_size;
	uint64_t data_off;
	uint32_t extent_align;     // 2 MiB
	uint8_t reserved[72];
	uint32_t crc;              // CRC-32C of bytes 0..251
};
static_assert(sizeof(PoolSuper) == 256);
static_assert(offsetof(PoolSuper, generation) == 24);
static_assert(offsetof(PoolSuper, uuid) == 32);
static_assert(offsetof(PoolSuper, name) == 48);
static_assert(offsetof(PoolSuper, pool_size) == 112);
static_assert(offsetof(PoolSuper, backup_off) == 128);
static_assert(offsetof(PoolSuper, catalog_off) == 152);
static_assert(offsetof(PoolSuper, data_off) == 168);
static_assert(offsetof(PoolSuper, reserved) == 180);
static_assert(offsetof(PoolSuper, crc) == 252);

// Catalog entry states.
enum class State : uint32_t { Free = 0, Writing = 1, Sealed = 2, Retired = 3 };
inline constexpr uint32_t STATE_MAX = 3;

// One copy of a catalog entry: 256 bytes = 4 cache lines. A catalog slot holds two copies; the
// valid copy with the higher generation is the entry (see docs/pool-format.md, "Catalog").
struct CatalogEntry {
	uint32_t magic;            // ENTRY_MAGIC
	uint32_t state;            // State
	uint64_t generation;       // pool-wide change sequence number of this version
	uint64_t id;               // image id, unique in the pool, never reused
	uint64_t offset;           // pool offset of the extent (2 MiB aligned, in the data area)
	uint64_t length;           // extent bytes (multiple of 2 MiB)
	uint64_t image_size;       // daxfs total_size (<= length)
	uint8_t image_uuid[16];
	uint8_t digest[16];        // the image's XXH3-128 digest (canonical bytes)
	uint32_t digest_type;      // DIGEST_XXH3_128
	uint32_t flags;            // none defined in v1 (must be 0)
	int64_t created;           // seconds since the epoch: the load started
	int64_t changed;           // seconds since the epoch: this version was written
	uint8_t writer_host[16];   // machine-id of the host that wrote the image
	uint8_t writer_boot[16];   // its boot id at the time
	uint32_t writer_pid;
	uint32_t writer_slot;      // host-table slot of the writer (multi-host); NO_SLOT in v1 writers
	char name[NAME_SIZE];      // image name, unique among non-free entries
	uint8_t reserved[44];
	uint32_t crc;              // CRC-32C of bytes 0..251
};
inline constexpr uint32_t NO_SLOT = 0xffffffffu;
static_assert(sizeof(CatalogEntry) == 256 && sizeof(CatalogEntry) % LINE == 0);
static_assert(offsetof(CatalogEntry, generation) == 8);
static_assert(offsetof(CatalogEntry, offset) == 24);
static_assert(offsetof(CatalogEntry, image_uuid) == 48);
static_assert(offsetof(CatalogEntry, digest) == 64);
static_assert(offsetof(CatalogEntry, digest_type) == 80);
static_assert(offsetof(CatalogEntry, created) == 88);
static_assert(offsetof(CatalogEntry, writer_host) == 104);
static_assert(offsetof(CatalogEntry, writer_pid) == 136);
static_assert(offsetof(CatalogEntry, name) == 144);
static_assert(offsetof(CatalogEntry, reserved) == 208);
static_assert(offsetof(CatalogEntry, crc) == 252);
static_assert(2 * sizeof(CatalogEntry) == CATALOG_SLOT_SIZE);

// The host table (docs/pool-format.md, "Host table"; protocol: docs/multihost.md). A slot is
// HOST_SLOT_SIZE bytes = 32 lines, each written whole by the slot's owner only and ending in a
// CRC-32C of its bytes 0..59. An all-zero line is empty.
inline constexpr uint32_t HOST_MAGIC = 0x43485044u; // bytes "DPHC"
inline constexpr size_t LINE_CRC_LEN = 60;
enum class ClaimState : uint32_t { Empty = 0, Claimed = 1, Left = 2 };
enum class MountState : uint32_t { Free = 0, Pending = 1, Mounted = 2 };

struct HostClaim {          // line 0
	uint32_t magic;         // HOST_MAGIC
	uint32_t state;         // ClaimState
	uint8_t machine_id[16];
	uint8_t boot_id[16];
	uint64_t nonce;         // random per claim
	int64_t claimed;        // realtime ns
	uint32_t reserved;
	uint32_t crc;
};
struct HostName {           // line 1
	char name[60];
	uint32_t crc;
};
struct HostBeat {           // line 2
	uint64_t counter;       // + 1 with every beat of any process of the host: observers judge by its change
	int64_t time;           // realtime ns of this beat, by the host's own clock: for messages only
	uint32_t lease_ms, margin_ms;
	uint32_t agent_pid;     // 0: not daxpool agent
	uint32_t heartbeat_ms;  // the interval the host beats at (status watches about this long)
	uint64_t ticket_beats;  // + 1 with every beat of the process holding the ticket (line 3)
	uint32_t ticket_pid;    // that process
	uint8_t reserved[16];
	uint32_t crc;
};
struct HostTicket {         // line 3: the bakery (writer role); written only at its three steps
	uint32_t choosing;
	uint32_t pid;
	uint64_t ticket;        // 0: not in or waiting for the writer role
	int64_t since;          // realtime ns (messages only)
	char op[16];
	int64_t unused;         // 0 (v1 wrote a realtime beat here; the ticket's beats are in line 2 now)
	uint32_t lease_ms, margin_ms; // what the holder checks its own beats against
	uint8_t reserved[4];
	uint32_t crc;
};
struct MountRecord {        // lines 4..31
	uint64_t image_id;
	uint64_t generation;
	int64_t since;          // realtime ns
	uint64_t mp_hash;       // FNV-1a of the whole mountpoint
	uint32_t state;         // MountState
	char mountpoint[24];    // its last 24 bytes, NUL padded
	uint32_t crc;
};
inline constexpr uint32_t HOST_LINE_CLAIM = 0, HOST_LINE_NAME = 1, HOST_LINE_BEAT = 2, HOST_LINE_TICKET = 3,
			  HOST_LINE_MOUNTS = 4;
inline constexpr uint32_t HOST_MOUNTS = HOST_SLOT_SIZE / LINE - HOST_LINE_MOUNTS; // 28
static_assert(sizeof(HostClaim) == LINE && sizeof(HostName) == LINE && sizeof(HostBeat) == LINE &&
	      sizeof(HostTicket) == LINE && sizeof(MountRecord) == LINE);
static_assert(offsetof(HostClaim, nonce) == 40 && offsetof(HostClaim, crc) == 60);
static_assert(offsetof(HostBeat, agent_pid) == 24 && offsetof(HostBeat, ticket_beats) == 32 &&
	      offsetof(HostBeat, crc) == 60);
static_assert(offsetof(HostTicket, ticket) == 8 && offsetof(HostTicket, op) == 24 && offsetof(HostTicket, unused) == 40 &&
	      offsetof(HostTicket, crc) == 60);
static_assert(offsetof(MountRecord, state) == 32 && offsetof(MountRecord, mountpoint) == 36 &&
	      offsetof(MountRecord, crc) == 60);

// Where a pool on a CXL or NVDIMM region came from, so `daxpool attach` can re-create the region
// on the next boot or on another host: 64 bytes at REGION_RECORD_OFF, written once by create
// before the superblocks (which publish it), all zero in file-backed pools.
inline constexpr uint64_t REGION_RECORD_OFF = 4 * KiB;
inline constexpr char REGION_MAGIC[8] = {'D', 'P', 'R', 'E', 'G', 'I', 'O', 'N'};
enum : uint32_t { REGION_BUS_CXL = 1, REGION_BUS_NVDIMM = 2 };
enum : uint32_t { REGION_MODE_DEVDAX = 1, REGION_MODE_FSDAX = 2 };
struct RegionRecord {
	char magic[8];             // "DPREGION"
	uint32_t bus;              // REGION_BUS_*
	uint32_t mode;             // REGION_MODE_*: the namespace mode
	uint64_t region_size;      // CXL: the region's size (HPA bytes); NVDIMM: the namespace's size
	uint32_t ways;             // CXL: interleave ways (memdevs, in serial order); NVDIMM: 0
	uint32_t granularity;      // CXL: interleave granularity in bytes; NVDIMM: 0
	uint8_t reserved[28];
	uint32_t crc;              // CRC-32C of bytes 0..59
};
static_assert(sizeof(RegionRecord) == 64 && REGION_RECORD_OFF + sizeof(RegionRecord) <= HOST_TABLE_OFF);
static_assert(offsetof(RegionRecord, region_size) == 16 && offsetof(RegionRecord, crc) == 60);

// The writer epoch (docs/multihost.md, "Fencing epoch"): one line at EPOCH_OFF, written only by
// the holder of the writer role. A process that enters the role writes epoch + 1 (with its
// ticket) before anything else, and reads it back before every later store: a writer that
// resumes from a pause after another took over finds the epoch moved and stops. All zero: epoch 0.
inline constexpr uint64_t EPOCH_OFF = 8 * KiB;
inline constexpr uint32_t EPOCH_MAGIC = 0x50455044u; // bytes "DPEP"
struct WriterEpoch {
	uint32_t magic;            // EPOCH_MAGIC
	uint32_t slot;             // host-table slot of the writer that wrote it
	uint64_t epoch;
	uint64_t nonce;            // random per entry into the role
	int64_t time;              // realtime ns (messages only)
	uint64_t ticket;           // the writer's bakery ticket: (ticket, slot) orders entries
	uint32_t pid;
	char op[16];               // "load", "unload", ...
	uint32_t crc;              // CRC-32C of bytes 0..59
};
static_assert(sizeof(WriterEpoch) == 64 && offsetof(WriterEpoch, ticket) == 32 && offsetof(WriterEpoch, crc) == 60);
static_assert(EPOCH_OFF >= REGION_RECORD_OFF + sizeof(RegionRecord) && EPOCH_OFF + LINE <= HOST_TABLE_OFF);

// The automount table (docs/pool-format.md, "Automount table"): where each image is mounted at
// boot by hosts that run daxpool-automount@.service. Slot i belongs to catalog slot i and holds
// two 128-byte copies; the valid copy with the higher generation is the record in force, and it
// applies only to the image whose id it names (ids are never reused, so a record left behind by
// an unloaded image applies to nothing). Written only by the holder of the writer role, like
// the catalog, the copy not in force first. All zero (every pool's header is zeroed at create):
// no record. A daxpool that predates the table ignores it.
inline constexpr uint64_t AUTOMOUNT_OFF = CATALOG_OFF + uint64_t(CATALOG_SLOTS) * CATALOG_SLOT_SIZE; // 1344 KiB
inline constexpr uint32_t AUTOMOUNT_SLOT_SIZE = 256;
inline constexpr uint32_t AUTOMOUNT_MAGIC = 0x4d415044u; // bytes "DPAM"
inline constexpr size_t AUTOMOUNT_PATH_SIZE = 100;       // an absolute path of 1..99 bytes, NUL padded
struct AutomountRecord {
	uint32_t magic;            // AUTOMOUNT_MAGIC
	uint32_t flags;            // none defined (must be 0)
	uint64_t generation;       // + 1 with every write of the slot
	uint64_t image_id;         // the catalog entry's id this record is for
	char path[AUTOMOUNT_PATH_SIZE]; // "": not mounted automatically
	uint32_t crc;              // CRC-32C of bytes 0..123
};
inline constexpr size_t AUTOMOUNT_CRC_LEN = 124;
static_assert(sizeof(AutomountRecord) == 128 && 2 * sizeof(AutomountRecord) == AUTOMOUNT_SLOT_SIZE);
static_assert(offsetof(AutomountRecord, image_id) == 16 && offsetof(AutomountRecord, path) == 24 &&
	      offsetof(AutomountRecord, crc) == AUTOMOUNT_CRC_LEN);
static_assert(AUTOMOUNT_OFF + uint64_t(CATALOG_SLOTS) * AUTOMOUNT_SLOT_SIZE <= BACKUP_SB_OFF);

inline constexpr size_t CRC_LEN = 252; // both structures: CRC over everything before crc

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	      "the structs above are the little-endian media layout; a big-endian port needs byte swapping");

inline constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

} // namespace daxpool::pool
