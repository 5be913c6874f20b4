// SPDX-License-Identifier: GPL-2.0-only
// The host table: one slot per host, written only by its owner (docs/pool-format.md, "Host
// table"; the protocol is docs/multihost.md). Here: claiming this host's slot without atomic
// read-modify-write, heartbeats and liveness, the writer-role ticket line, and the mount
// records that unload asks before it frees an image.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pool/clock.hpp"
#include "pool/layout.hpp"

namespace daxpool::pool {

class Pool;
struct ImageInfo;

// Lease, margin, heartbeat interval and claim settle time. Defaults 15 s, 5 s, lease/3, 1 s;
// DAXPOOL_LEASE_MS, DAXPOOL_MARGIN_MS, DAXPOOL_HEARTBEAT_MS, DAXPOOL_CLAIM_SETTLE_MS override.
struct Timing {
	uint32_t lease_ms = 15000, margin_ms = 5000, heartbeat_ms = 5000, settle_ms = 1000;
	static Timing from_env();
};


// What this host has seen of another host's heartbeat (docs/multihost.md, "Liveness"): no
// clock of another host is ever compared with ours. A host is judged by whether its heartbeat
// counter changed while this process watched, timed on this host's CLOCK_BOOTTIME:
//   beating: seen to change, last less than lease + margin ago;
//   silent:  not seen to change yet, watched for less than lease + margin (counts as alive);
//   expired: stood still for lease + margin or more of watching: its ticket is ignored, its
//            mounts can be reclaimed with --force;
//   left:    claim state LEFT: gone at once.
enum class Liveness { Beating, Silent, Expired, Left };
const char *liveness_name(Liveness l);
inline bool alive(Liveness l) { return l == Liveness::Beating || l == Liveness::Silent; }

struct MountInfo {
	uint32_t record = 0; // 0..HOST_MOUNTS-1
	uint64_t image_id = 0, generation = 0;
	int64_t since = 0;
	uint64_t mp_hash = 0;
	MountState state = MountState::Free;
	std::string mountpoint; // its last 24 bytes
};

struct HostInfo {
	uint32_t slot = 0;
	HostClaim claim{};
	HostBeat beat{};     // zero when it has not beaten yet (or the line is unknown)
	HostTicket ticket{}; // zero when none (or the line is unknown)
	// Lines that kept failing their CRC: unknown, never read as absent (docs/multihost.md).
	bool beat_unknown = false;   // judged by its raw bytes: a change while they change
	std::array<uint8_t, 64> beat_raw{}; // the heartbeat line as read
	bool ticket_unknown = false; // counts as choosing while the host is alive
	std::vector<uint32_t> unknown_mounts; // record indexes: each may list any image
	// The ticket counts: choosing or a number (or unknown), its host has not left, and its holder
	// process's beats (HostBeat::ticket_beats) seen to change within the ticket's own lease +
	// margin (whatever lease the host's other processes announce).
	bool ticket_alive = false;
	std::string machine_id, boot_id, hostname;
	Liveness liveness = Liveness::Silent;
	int64_t still_ns = 0;  // how long this process has seen the heartbeat stand still
	bool lapsed = false;   // it stood still for its lease + margin at some point while watched
	int64_t stamped = 0;   // realtime ns the host put on its last beat, by its own clock (messages only)
	uint32_t lease_ms = 0, margin_ms = 0, heartbeat_ms = 0;
	std::vector<MountInfo> mounts;
	bool left() const { return liveness == Liveness::Left; }
	bool holds_ticket() const { return ticket_unknown || ticket.choosing || ticket.ticket; }
	// Lease + margin of this host in ns: how long its heartbeat must stand still to expire.
	int64_t expiry_ns() const { return (int64_t(lease_ms) + margin_ms) * 1000000; }
	// "host 'name' (machine-id 0123456789ab, slot 3)"
	std::string describe() const;
	// "last heartbeat stamped 2026-…Z by its clock": for messages; never compared with ours.
	std::string stamp_text() const;
};

// Every slot with a valid claim line (claimed or left), read with invalidation; liveness is
// Silent or Left (nothing watched yet): use a Watch to judge.
std::vector<HostInfo> read_hosts(Pool &pool);

// Watching the host table over time (a delta lease, as sanlock's): every look() reads the table
// and judges each host by what this Watch saw of it before, on this host's CLOCK_BOOTTIME.
class Watch {
public:
	std::vector<HostInfo> look(Pool &pool);
	// `before`/`after`: this host's CLOCK_BOOTTIME before and after the read of `hosts`. A value
	// first seen in a read counts from its end; standing still is measured to the start of the
	// latest read, so a stall of this process is never taken for another host standing still.
	void judge(std::vector<HostInfo> &hosts, int64_t before, int64_t after);
	int64_t watched_ns() const;

private:
	struct Seen {
		uint64_t nonce = 0, counter = 0, ticket_beats = 0;
		std::array<uint8_t, 64> raw{};
		int64_t since = 0, ticket_since = 0;
		bool changed = false, lapsed = false;
	};
	std::map<uint32_t, Seen> seen_;
	int64_t start_ = 0;
};

// Watches the hosts in `slots` until each has either beaten (Beating) or stood still for its
// lease + margin (Expired), or left; returns their last judgement. on_wait is called once if
// the watch has to wait.
std::vector<HostInfo> watch_until_judged(Pool &pool, const std::vector<uint32_t> &slots,
					 const std::function<void(int64_t wait_ns)> &on_wait = {});

// This host's slot in one pool: claimed (or found again) by claim(), beaten by beat() or a thread.
// Every write to the slot is made under the host-local slot lock (an OFD lock on the pool's
// lock path) after checking that the claim line still holds this host's identity and nonce.
class HostSession {
public:
	// Finds or claims the slot (docs/multihost.md, "Claiming a slot") and beats once. Throws
	// Error for a clone (the machine-id live under another boot) or a full host table.
	static std::unique_ptr<HostSession> claim(Pool &pool, Timing t = Timing::from_env(), uint32_t agent_pid = 0);
	~HostSession();
	HostSession(const HostSession &) = delete;
	HostSession &operator=(const HostSession &) = delete;

	uint32_t slot() const { return slot_; }
	const Timing &timing() const { return t_; }
	Pool &pool() { return pool_; }

	// Publishes a heartbeat. Throws Error when the slot is no longer this host's.
	void beat();
	// A thread beating every heartbeat_ms until stop_beating() or destruction.
	void start_beating();
	void stop_beating();
	// Throws Error ("lost the writer role") when, since the claim, a gap between two of this
	// process's beats (or since the last one) reached the lease on this host's CLOCK_BOOTTIME,
	// or a beat failed.
	void check_lease() const;
	// check_lease(), and that this host's claim and this process's ticket are still in the slot
	// as written (they are gone if another claimant wrote the slot: docs/multihost.md).
	// Called before every catalog write and image chunk of the writer role.
	void check_role();

	// Writes the ticket line (only at the bakery's steps: choosing, the number, zero). While it
	// is not zero, every beat of this process also advances HostBeat::ticket_beats.
	void write_ticket(const HostTicket &t);
	// Under the slot lock: writes r into a free record and returns its index; when a record of
	// the same image and mountpoint hash is there already (umount kept it for a bind mount or a
	// container's copy still reading the image), returns that one, reused, unchanged. nullopt:
	// all are in use.
	struct AddedMount {
		uint32_t ix;
		bool reused;
	};
	std::optional<AddedMount> add_mount(const MountRecord &r);
	// Rewrites record ix if it still holds the same image and mountpoint hash as r (an all-zero
	// r frees it).
	void update_mount(uint32_t ix, uint64_t image_id, uint64_t mp_hash, const MountRecord &r);
	// Frees every record of (image_id, mp_hash).
	void remove_mount(uint64_t image_id, uint64_t mp_hash);
	std::vector<MountInfo> mounts();
	// Marks the slot LEFT when it lists no mounts and no live writer ticket (daxpool agent's
	// clean exit); false otherwise.
	bool leave();

private:
	HostSession(Pool &pool, Timing t, uint32_t slot, uint64_t nonce, uint32_t agent_pid);
	void write_line(uint32_t line, const void *bytes); // under the slot lock, claim verified
	void verify_claim();
	void beat_locked();

	Pool &pool_;
	Timing t_;
	uint32_t slot_;
	uint64_t nonce_;
	uint32_t agent_pid_;
	uint64_t counter_ = 0;
	std::mutex tm_;
	HostTicket ticket_{}; // guarded by tm_; all zero: none
	uint64_t ticket_beats_ = 0;
	std::atomic<int64_t> last_beat_boot_{0};
	Watch watch_; // other slots of this machine-id (clones), across beats; under the slot lock
	std::atomic<bool> broken_{false};
	std::string broken_why_;
	std::mutex m_;
	std::condition_variable cv_;
	bool stop_ = false;
	std::thread thread_;
};

// FNV-1a 64 of a mountpoint, as stored in mount records.
uint64_t mountpoint_hash(const std::string &mp);

// Every host that has not left whose slot lists image `image_id` (PENDING or MOUNTED), or has a
// mount record that stayed unreadable (it may list any image).
struct MountHolder {
	HostInfo host;
	MountInfo mount;
	bool unknown = false; // an unreadable record
	std::string describe() const; // "host 'b' (machine-id …, slot 2) at /mnt/x"
	bool same(const MountHolder &o) const; // the same slot, claim and record
};
std::vector<MountHolder> mount_holders(Pool &pool, uint64_t image_id);
std::vector<MountHolder> mount_holders(const std::vector<HostInfo> &hosts, uint64_t image_id);

// For `daxpool mount` / `umount`. record_mount claims this host's slot if needed,
// writes a PENDING record, rereads the image's catalog entry (it must still be SEALED, same id
// and generation: otherwise the record is removed and Error thrown), then marks it MOUNTED.
// Returns true when it reused a record already there (add_mount): such a record is never
// removed by record_mount, nor by a caller whose mount then fails (another copy of that mount
// may depend on it). Call it before mounting; forget_mount after unmounting (a missing record
// is not an error). The pool must be open read-write.
bool record_mount(Pool &pool, const ImageInfo &img, const std::string &mountpoint);
void forget_mount(Pool &pool, uint64_t image_id, const std::string &mountpoint);
// Whether `daxpool agent` beats for this host in this pool (its pid, in this slot's beat, runs).
bool agent_beating(Pool &pool);

// Why the writer of a WRITING entry can no longer store into its extent, or "" when it may
// (docs/multihost.md, "Quarantine"): its host rebooted, left, or no longer holds the writer
// ticket of that process. A writer that lost the role while paused still holds its ticket: its
// extent stays out of use until its host shows the process has stopped.
std::string writer_gone(Pool &pool, const CatalogEntry &e);

} // namespace daxpool::pool
