// SPDX-License-Identifier: GPL-2.0-only
// A pool on media: open (by file, or by region), describe, load, unload.
// docs/pool-format.md describes the layout and the order of every change.
#pragma once

#include <array>
#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pool/alloc.hpp"
#include "pool/backend.hpp"
#include "pool/catalog.hpp"
#include "pool/layout.hpp"
#include "pool/shmem.hpp"
#include "pool/superblock.hpp"

namespace daxpool::pool {

struct ImageInfo {
	uint32_t slot = 0;
	uint64_t id = 0, generation = 0;
	std::string name;
	State state = State::Free;
	uint64_t offset = 0, length = 0, image_size = 0;
	Uuid uuid{};
	std::array<uint8_t, 16> digest{};
	int64_t created = 0, changed = 0;
	std::string writer_host, writer_boot; // hex
	uint32_t writer_pid = 0;
	// Where hosts mount it at boot (the automount table): "" none. automount_unreadable: the
	// table's record for its slot is damaged (fsck reports it; set or clear it again to repair).
	std::string automount;
	bool automount_unreadable = false;
};

struct PoolInfo {
	std::string source;       // the backend's description
	Uuid uuid{};
	std::string name;
	uint64_t size = 0, data_off = 0;
	int64_t created = 0;
	uint32_t catalog_slots = 0, catalog_used = 0, damaged_slots = 0;
	SpaceStats space;
	std::vector<ImageInfo> images; // by offset; sealed only unless all
	std::vector<std::string> superblock_problems; // a copy that is not valid (fsck repairs it)
};

ImageInfo image_info(const Slot &s);

struct LoadOptions {
	std::string image;        // path of a daxfs image file
	std::string name;         // default: the file name without .img / .daxfs
	// Called after every chunk copied (done, total) from the writer; may be empty.
	std::function<void(uint64_t, uint64_t)> progress;
	// Called once when another writer holds the pool's lock and this one waits.
	void (*on_wait)() = nullptr;
	// Set (from a signal handler) to stop the copy at the next chunk: the extent is freed and
	// load throws Error. May be null.
	const std::atomic<bool> *stop = nullptr;
	std::string automount = {}; // "": none; else the path hosts mount it at on boot
};

// What the backend of an open pool holds now (Pool::presence): still this pool; no pool at all
// (neither superblock copy carries the magic: destroyed, wiped); another pool (re-created, its
// UUID differs); a pool whose both copies are invalid but one still carries the magic (damaged).
enum class Presence { Same, Gone, Replaced, Damaged };

class Pool {
public:
	// Throws NotAPool when neither superblock copy is valid, Error for anything else.
	static std::unique_ptr<Pool> open(const PoolRef &ref, Access access);
	Pool(std::unique_ptr<Backend> b, Access access);
	Pool(const Pool &) = delete;
	Pool &operator=(const Pool &) = delete;

	PoolInfo info(bool all) const;
	// Validates the image, allocates, writes, flushes, reads back, seals (docs/pool-format.md,
	// "Load"). Throws Error, leaving the pool unchanged, for every refusal.
	ImageInfo load(const LoadOptions &o);
	// Retires the sealed image NAME and frees its space. Refused while an alive host lists it as
	// mounted; when only expired hosts do, refused unless `force`, which then reclaims it and
	// adds one line per such host to *reclaimed (which host, since when). docs/multihost.md.
	ImageInfo unload(const std::string &name, void (*on_wait)() = nullptr, bool force = false,
			 std::vector<std::string> *reclaimed = nullptr);

	// The pool's part of `daxpool destroy`, under the writer role: refused like unload for every
	// image that holds space (mounted on this host or by an alive host; by an expired host
	// unless `force`, reclaimed then, see unload) and, without `force`, while sealed images
	// remain; then every sealed image is retired and the host table read again (a mount
	// recorded meanwhile wins: refused, the images stay retired), and both superblocks and the
	// region record are wiped. `who` names the pool in messages, `force_cmd` the forcing command.
	void destroy(bool force, const std::string &who, const std::string &force_cmd, void (*on_wait)() = nullptr,
		     std::vector<std::string> *reclaimed = nullptr);

	// Records (PATH "" clears) where hosts mount the sealed image NAME at boot, under the
	// writer role (automount.cpp). Returns the image as it now is.
	ImageInfo set_automount(const std::string &name, const std::string &path, void (*on_wait)() = nullptr);

	const PoolSuper &super() const { return sb_; }
	const SuperCopies &super_copies() const { return copies_; }
	std::string uuid() const;
	// Under the writer lock: throw if the pool on the backend is no longer the one opened.
	void recheck_identity();
	// Reads both superblock copies again (no lock): is the pool opened still there?
	Presence presence() const;
	std::string display() const { return backend_->name(); }
	Shared &shared() { return *sh_; }
	Catalog &catalog() { return *cat_; }
	const Catalog &catalog() const { return *cat_; }
	Backend &backend() { return *backend_; }
	Access access() const { return access_; }
	std::vector<Extent> used_extents(const std::vector<Slot> &slots) const;

private:
	// unload --force of an image whose load another host began and lost the writer role in
	// (quarantined: docs/multihost.md): freed once that host's heartbeat stood still.
	void check_quarantined(const Slot &w, bool force, const std::string &force_cmd, std::vector<std::string> *reclaimed);
	ImageInfo unload_quarantined(Slot &w, bool force, const std::string &force_cmd, std::vector<Slot> &slots,
				     std::vector<std::string> *reclaimed);
	std::unique_ptr<Backend> backend_;
	std::unique_ptr<Shared> sh_;
	SuperCopies copies_;
	PoolSuper sb_{};
	std::unique_ptr<Catalog> cat_;
	Access access_;
};

// Why this writer, holding the pool's writer lock, may free the non-sealed entry in force in
// `s` (a WRITING entry whose writer is gone, a RETIRED one that no host uses), or nullopt.
std::optional<std::string> reclaim_reason(Pool &pool, const Slot &s);

// "image.img" -> "image"; the default name of a loaded image.
std::string default_image_name(const std::string &path);

} // namespace daxpool::pool
