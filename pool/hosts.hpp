// SPDX-License-Identifier: GPL-2.0-only
// The host table: one slot per host, written only by its owner (docs/pool-format.md, "Host
// table"; the protocol is docs/multihost.md). Here: claiming this host's slot without atomic
// read-modify-write, heartbeats and liveness, the writer-role ticket line, and the mount
// records that unload asks before it frees an image.
#pragma once

#include <atomic>
#include <condition_variable>
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


enum class Liveness { Live, Suspect, Expired, Left };
const char *liveness_name(Liveness l);
// Live and suspect hosts count as alive: their tickets are honoured and their mounts block.
inline bool alive(Liveness l) { return l == Liveness::Live || l == Liveness::Suspect; }
// The rule (docs/multihost.md, "Heartbeat and liveness"): age = now - beat, live while age <=
// lease, suspect up to lease + margin, expired after; a beat in the future is live.
Liveness judge(int64_t now_ns, int64_t beat_ns, uint32_t lease_ms, uint32_t margin_ms, bool left);

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
	HostBeat beat{};     // zero when it has not beaten yet
	HostTicket ticket{}; // zero when none
	bool ticket_torn = false; // a ticket line that kept failing its CRC: treated as choosing
	// The ticket counts: the host is alive and the ticket (choosing or a number) is beaten by its
	// process within the lease + margin (a writer process that died on a live host loses it).
	bool ticket_alive = false;
	std::string machine_id, boot_id, hostname;
	Liveness liveness = Liveness::Expired;
	int64_t last_beat = 0; // realtime ns: the beat's time, or the claim's before the first beat
	uint32_t lease_ms = 0, margin_ms = 0;
	std::vector<MountInfo> mounts;
	// "host 'name' (machine-id 0123456789ab, slot 3)"
	std::string describe() const;
};

// Every slot with a valid claim line (claimed or left), read with invalidation; liveness at `now`.
std::vector<HostInfo> read_hosts(Pool &pool, int64_t now_ns);
std::vector<HostInfo> read_hosts(Pool &pool);

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
	// process's beats (or since the last one) reached the lease, or a beat failed.
	void check_lease() const;
	// check_lease(), and that this host's claim and this process's ticket are still in the slot
	// as written (they are gone if another claimant wrote the slot: docs/multihost.md, A2).
	// Called before every catalog write and image chunk of the writer role.
	void check_role();

	// Writes the ticket line; a non-zero ticket is then re-beaten with every heartbeat.
	void write_ticket(const HostTicket &t);
	// Under the slot lock: writes r into the record of the same image and mountpoint hash, or a
	// free one; returns its index, nullopt when all are in use.
	std::optional<uint32_t> add_mount(const MountRecord &r);
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
	std::atomic<int64_t> last_beat_mono_{0};
	std::atomic<bool> broken_{false};
	std::string broken_why_;
	std::mutex m_;
	std::condition_variable cv_;
	bool stop_ = false;
	std::thread thread_;
};

// FNV-1a 64 of a mountpoint, as stored in mount records.
uint64_t mountpoint_hash(const std::string &mp);

// Every host (not LEFT) whose slot lists image `image_id` (PENDING or MOUNTED), with its liveness.
struct MountHolder {
	HostInfo host;
	MountInfo mount;
	std::string describe() const; // "host 'b' (machine-id …, slot 2) at /mnt/x"
};
std::vector<MountHolder> mount_holders(Pool &pool, uint64_t image_id);

// Alive hosts (live or suspect) whose slot lists the image as mounted, described for messages.
std::vector<std::string> mounted_by(Pool &pool, const CatalogEntry &e);

// For `daxpool mount` / `umount`. record_mount claims this host's slot if needed,
// writes a PENDING record, rereads the image's catalog entry (it must still be SEALED, same id
// and generation: otherwise the record is removed and Error thrown), then marks it MOUNTED.
// Call it before mounting; forget_mount after unmounting (a missing record is not an error).
// The pool must be open read-write.
void record_mount(Pool &pool, const ImageInfo &img, const std::string &mountpoint);
void forget_mount(Pool &pool, uint64_t image_id, const std::string &mountpoint);
// Whether `daxpool agent` beats for this host in this pool (its beat is live and its pid runs).
bool agent_beating(Pool &pool);

// Read-only fsck: why the writer of another host's WRITING entry is gone, or "" when it may be
// writing now (its host is alive, the same boot, and holds a writer ticket).
std::string writer_gone(Pool &pool, const CatalogEntry &e);

} // namespace daxpool::pool
