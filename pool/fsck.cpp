// SPDX-License-Identifier: GPL-2.0-only
#include "pool/fsck.hpp"
#include "pool/host_lines.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "lib/daxfs/fsck.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/automount.hpp"
#include "pool/catalog.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/hosts.hpp"
#include "pool/identity.hpp"
#include "pool/lock.hpp"
#include "pool/pool.hpp"
#include "pool/writer.hpp"

namespace daxpool::pool {

namespace {

std::string label(const Slot &s)
{
	return "image '" + s.name() + "' (id " + std::to_string(s.entry.id) + ", slot " + std::to_string(s.index) + ")";
}

class Checker {
public:
	Checker(Pool &p, bool repair) : p_(p), repair_(repair) {}

	PoolFsckReport run()
	{
		r_.pool = p_.display();
		if (repair_) {
			lock_.emplace(p_, "repair");
			p_.recheck_identity();
		}
		supers();
		epoch();
		auto slots = p_.catalog().snapshot();
		// Every version a repair writes is above every generation and id the catalog shows, also
		// in the readable headers of bad copies: repair never lowers either.
		gen_ = max_generation_seen(slots);
		id_ = max_id_seen(slots);
		std::vector<bool> gone(slots.size(), false); // removed by a repair in this run
		for (auto &s : slots)
			if (!slot(s))
				gone[s.index] = true;
		// Extents and names among what is left.
		std::vector<Slot *> live;
		for (auto &s : slots)
			if (!gone[s.index] && s.holds_space())
				live.push_back(&s);
		std::sort(live.begin(), live.end(), [](auto *a, auto *b) { return a->entry.offset < b->entry.offset; });
		for (size_t i = 0; i < live.size(); i++)
			for (size_t j = i + 1; j < live.size() && live[j]->entry.offset < live[i]->entry.offset + live[i]->entry.length; j++) {
				if (gone[live[i]->index] || gone[live[j]->index])
					continue;
				Slot *newer = live[j]->entry.generation > live[i]->entry.generation ? live[j] : live[i];
				problem(label(*live[i]) + " and " + label(*live[j]) + " have overlapping extents",
					"remove the newer, " + label(*newer), [&] { free_slot(*newer); gone[newer->index] = true; });
			}
		std::map<std::string, Slot *> names;
		std::map<uint64_t, Slot *> ids;
		for (auto *s : live) {
			if (gone[s->index])
				continue;
			if (auto [it, fresh] = ids.emplace(s->entry.id, s); !fresh) {
				Slot *newer = it->second->entry.generation > s->entry.generation ? it->second : s;
				problem(label(*it->second) + " and " + label(*s) + " share an id", "remove the newer, " + label(*newer),
					[&] { free_slot(*newer); gone[newer->index] = true; });
			}
			if (gone[s->index] || s->state() == State::Retired)
				continue;
			if (auto [it, fresh] = names.emplace(s->name(), s); !fresh) {
				Slot *newer = it->second->entry.generation > s->entry.generation ? it->second : s;
				problem(label(*it->second) + " and " + label(*s) + " have the same name",
					"remove the newer, " + label(*newer), [&] { free_slot(*newer); gone[newer->index] = true; });
			}
		}
		for (auto *s : live)
			if (!gone[s->index])
				contents(*s);
		automounts(slots, gone);
		return r_;
	}

private:
	template <typename F> void problem(std::string what, std::string fix, F &&f)
	{
		Finding x{Finding::Problem, std::move(what), std::move(fix), false};
		if (repair_) {
			f();
			x.fixed = true;
			r_.repaired = true;
		}
		r_.findings.push_back(std::move(x));
	}
	template <typename F> void note(std::string what, std::string fix, F &&f)
	{
		Finding x{Finding::Note, std::move(what), std::move(fix), false};
		if (repair_ && !x.fix.empty()) {
			f();
			x.fixed = true;
			r_.repaired = true;
		}
		r_.findings.push_back(std::move(x));
	}
	void note(std::string what) { r_.findings.push_back({Finding::Note, std::move(what), "", false}); }

	void free_slot(Slot &s)
	{
		CatalogEntry e = s.entry;
		e.state = static_cast<uint32_t>(State::Free);
		e.flags = 0;
		std::memset(e.reserved, 0, sizeof e.reserved);
		e.generation = ++gen_;
		e.changed = static_cast<int64_t>(::time(nullptr));
		p_.catalog().write(s, e);
	}

	void supers()
	{
		const SuperCopies &c = p_.super_copies();
		const PoolSuper &sb = p_.super();
		// Every fix rewrites both copies from the one in use with the generation bumped (the
		// superblock's generation counts its rewrites); once, however many findings.
		bool rewritten = false;
		auto rewrite = [&] {
			if (rewritten)
				return;
			PoolSuper next = sb;
			next.generation = sb.generation + 1;
			set_super_crc(next);
			// The copy not in use first, made durable, then the one in use: a crash in
			// either write leaves a valid copy.
			bool primary_in_use = c.primary_problem.empty() &&
					      (!c.backup_problem.empty() || c.primary.generation >= c.backup.generation);
			uint64_t first = primary_in_use ? BACKUP_SB_OFF : PRIMARY_SB_OFF;
			write_super_copy(p_.shared(), first, next);
			write_super_copy(p_.shared(), first == BACKUP_SB_OFF ? PRIMARY_SB_OFF : BACKUP_SB_OFF, next);
			rewritten = true;
		};
		for (auto [prob, which] : {std::pair{c.primary_problem, "primary"}, std::pair{c.backup_problem, "backup"}})
			if (!prob.empty())
				problem(std::string(which) + " superblock: " + prob,
					std::string("rewrite it from the other copy (generation ") +
						std::to_string(sb.generation + 1) + ")",
					rewrite);
		if (c.primary_problem.empty() && c.backup_problem.empty() &&
		    std::memcmp(&c.primary, &c.backup, sizeof(PoolSuper)) != 0)
			problem("the superblock copies differ", "rewrite both from the newer (generation " +
									std::to_string(sb.generation) + ") as generation " +
									std::to_string(sb.generation + 1),
				rewrite);
	}

	// false when the slot's entry was removed by a repair.
	bool slot(Slot &s)
	{
		if (s.damaged()) {
			problem("catalog slot " + std::to_string(s.index) +
					": no valid copy (an image it held, if any, is lost)",
				"clear the slot", [&] { p_.catalog().format_slot(s.index, true, ++gen_, ++id_); });
			return false;
		}
		for (int i = 0; i < 2; i++)
			if (s.bad_copy[i])
				note("catalog slot " + std::to_string(s.index) + ": copy " + std::to_string(i) +
				     " is torn (an interrupted catalog write); the previous version is in force");
		if (s.winner < 0)
			return true;
		if (auto why = check_entry_fields(s.entry, p_.super()); !why.empty()) {
			problem("catalog slot " + std::to_string(s.index) + " ('" + s.name() + "'): " + why,
				"remove the entry", [&] { free_slot(s); });
			return false;
		}
		if (s.state() == State::Writing || s.state() == State::Retired)
			return transient(s);
		return true;
	}

	// The automount table: a slot with no valid copy whose image is still in the catalog loses
	// that image's automount path (repair clears the slot; set it again with daxpool automount).
	// Torn copies beside a valid one are the trace of an interrupted write (a note).
	void automounts(const std::vector<Slot> &slots, const std::vector<bool> &gone)
	{
		AutomountTable t(p_.shared(), p_.super());
		for (auto &a : t.snapshot()) {
			const Slot &s = slots.at(a.index);
			bool image = !gone[a.index] && s.holds_space() && s.state() == State::Sealed;
			if (a.unreadable()) {
				problem("automount record of catalog slot " + std::to_string(a.index) + " is damaged" +
						(image ? " (" + label(s) + " is not mounted at boot until it is set again)" : ""),
					"clear it", [&] { p_.catalog().check_writer(); t.clear(a.index); });
				continue;
			}
			for (int i = 0; i < 2; i++)
				if (a.bad_copy[i] && image)
					note("automount record of " + label(s) + ": copy " + std::to_string(i) +
					     " is torn (an interrupted write); the previous version is in force");
			if (image && a.winner >= 0 && !automount_path(a, s.entry.id))
				problem("automount record of " + label(s) + " holds an invalid path", "clear it",
					[&] { p_.catalog().check_writer(); t.clear(a.index); });
		}
	}

	// The writer epoch line (docs/multihost.md, "Fencing epoch"): all zero or valid. A damaged
	// one stops every writer; the repair's first store rewrites it (and so fences any writer that
	// was paused in the role).
	void epoch()
	{
		if (lock_ && lock_->rewrote_damaged_epoch()) {
			problem("the writer epoch line (0x2000) was damaged", "rewrite it", [] {});
			return;
		}
		WriterEpoch e;
		hostline::LineRead r = hostline::read_line(p_, EPOCH_OFF, e);
		if (r == hostline::LineRead::Empty || (r == hostline::LineRead::Valid && e.magic == EPOCH_MAGIC))
			return;
		problem("the writer epoch line (0x2000) is damaged", "rewrite it", [&] { p_.catalog().check_writer(); });
	}

	bool transient(Slot &s)
	{
		std::optional<std::string> why;
		if (repair_)
			why = reclaim_reason(p_, s); // we hold the writer lock
		else if (s.state() == State::Retired)
			why = reclaim_reason(p_, s);
		else
			why = probe_writer(s);
		if (why) {
			bool freed = repair_;
			note(label(s) + ": " + state_name(s.state()) + ", " + *why + "; the next writer frees its space",
			     "free its space", [&] { free_slot(s); });
			return !freed;
		}
		const Identity &me = self();
		if (std::memcmp(s.entry.writer_host, me.host.data(), 16) != 0)
			note(label(s) + ": " + state_name(s.state()) + ", being loaded by pid " + std::to_string(s.entry.writer_pid) +
			     " of host " + util::hex(s.entry.writer_host) +
			     ", or that load stopped while its host was paused: its space is held (quarantined) until that "
			     "host shows the load ended; if that host is down for good, 'daxpool unload " + s.name() +
			     " --force' reclaims it");
		else
			note(label(s) + ": " + state_name(s.state()) + ", being loaded now by pid " +
			     std::to_string(s.entry.writer_pid));
		return true;
	}

	// Read-only fsck: a WRITING entry of this host and boot is abandoned iff the writer lock
	// is free right now; another host's, iff the host table says its writer is gone.
	std::optional<std::string> probe_writer(const Slot &s)
	{
		const Identity &me = self();
		if (std::memcmp(s.entry.writer_host, me.host.data(), 16) != 0) {
			std::string why = writer_gone(p_, s.entry);
			if (why.empty())
				return std::nullopt;
			return "interrupted load by pid " + std::to_string(s.entry.writer_pid) + ": " + why;
		}
		if (std::memcmp(s.entry.writer_boot, me.boot.data(), 16) != 0)
			return "interrupted load by pid " + std::to_string(s.entry.writer_pid) + " in an earlier boot";
		try {
			if (WriterLock::is_free(p_.backend().lock_path()))
				return "interrupted load by pid " + std::to_string(s.entry.writer_pid) + " (writer gone)";
		} catch (const Error &) {
		}
		return std::nullopt;
	}

	void contents(Slot &s)
	{
		if (s.state() != State::Sealed)
			return;
		r_.sealed_checked++;
		const CatalogEntry &e = s.entry;
		fault_point("fsck.image");
		daxfs::FsckReport ir = daxfs::fsck_bytes(p_.shared().view(e.offset, e.image_size));
		std::vector<std::string> why = ir.problems;
		if (ir.structure_ok) {
			if (ir.size != e.image_size)
				why.push_back("image size " + std::to_string(ir.size) + " differs from the catalog's " +
					      std::to_string(e.image_size));
			if (!std::equal(ir.recorded.begin(), ir.recorded.end(), e.digest))
				why.push_back("image digest " + util::hex(ir.recorded) + " differs from the catalog's " +
					      util::hex(e.digest));
			const auto *isb = reinterpret_cast<const daxfs_super *>(p_.shared().view(e.offset, 256).data());
			if (std::memcmp(isb->uuid, e.image_uuid, 16) != 0)
				why.push_back("image UUID differs from the catalog's");
		}
		if (why.empty())
			return;
		if (!repair_ && changed_since_snapshot(s)) {
			note(label(s) + " changed during the check (unloaded or replaced by a concurrent writer); "
					"not checked");
			return;
		}
		std::string msg = label(s) + " is damaged:";
		for (const auto &w : why)
			msg += "\n    " + w;
		problem(msg, "remove it from the catalog (it cannot be mounted safely)", [&] { free_slot(s); });
	}

	// Read-only fsck runs beside writers: the entry was taken from a snapshot, and its extent may
	// have been freed and reused since. Only a slot that still holds the same (id, generation),
	// SEALED, in a fresh snapshot proves that the bytes just checked were that image's.
	bool changed_since_snapshot(const Slot &s)
	{
		const Slot now = p_.catalog().snapshot().at(s.index);
		return now.damaged() || now.state() != State::Sealed || now.entry.id != s.entry.id ||
		       now.entry.generation != s.entry.generation;
	}

	Pool &p_;
	bool repair_;
	PoolFsckReport r_;
	std::optional<WriterRole> lock_;
	uint64_t gen_ = 0, id_ = 0;
};

} // namespace

PoolFsckReport fsck_pool(const PoolRef &ref, bool repair)
{
	auto p = Pool::open(ref, repair ? Access::ReadWrite : Access::ReadOnly);
	PoolFsckReport r = Checker(*p, repair).run();
	if (repair && r.repaired) {
		// Prove the repairs: a second, read-only pass must find no problem.
		p.reset();
		auto again = Pool::open(ref, Access::ReadOnly);
		PoolFsckReport v = Checker(*again, false).run();
		for (auto &f : v.findings)
			if (f.kind == Finding::Problem) {
				f.what = "after repair: " + f.what;
				r.findings.push_back(f);
			}
	}
	return r;
}

} // namespace daxpool::pool
