// SPDX-License-Identifier: GPL-2.0-only
// One "host" of the multi-host tests (test_hosts, test_multihost): a process whose identity
// comes from DAXPOOL_MACHINE_ID / DAXPOOL_BOOT_ID / DAXPOOL_HOSTNAME, driving libdaxpool directly.
//
//   model_host mount POOL IMAGE MOUNTPOINT        record_mount; prints "mounted ID"
//   model_host mount-as-seen POOL SLOT ID GEN NAME MOUNTPOINT
//                                                 record_mount of an image as a mounter saw it
//                                                 earlier (SEALED then), whatever it is now
//   model_host forget POOL ID MOUNTPOINT          forget_mount
//   model_host load-stop POOL IMAGE NAME          load, SIGSTOPping itself once the WRITING entry
//                                                 is written (the caller SIGCONTs it later)
//   model_host load-pause POOL IMAGE NAME MS      load, sleeping MS in the writer role after the
//                                                 WRITING entry (its heartbeat thread keeps beating)
//   model_host run POOL SEED SECONDS WITNESS IMAGE...
//       random load / unload [--force] / mount / umount with random delays for SECONDS, with an
//       in-process heartbeat thread (the agent). Checks as it goes: every image this host has
//       mounted is intact in the pool (validated in place, the very image: uuid, size and
//       digest of the entry it mounted), and nobody else is in the writer role while this
//       process is (WITNESS names the holder, model_witness.hpp). A violation prints
//       "VIOLATION: ..." and exits 3; a lost lease (this host was slow enough to be declared
//       dead) exits 4.
//
// Environment of `run` (set by the driver, tests/unit/model_driver.cpp):
//   DAXPOOL_SIM_DIR, DAXPOOL_SIM_SEED  the pool is opened on the non-coherent memory simulator
//                                      (sim_memory.hpp), its cache file in that directory; every
//                                      store to the catalog or an extent is checked to come from
//                                      the writer-role holder
//   DAXPOOL_MODEL_LEDGER               what this host reports (model_ledger.hpp)
//   DAXPOOL_MODEL_PAUSED               pids the driver SIGSTOPped (model_witness.hpp)
//   DAXPOOL_MODEL_UNIQUE_DIR           every load builds a new image there (its own uuid and
//                                      digest), of the size of one of the IMAGE arguments
#include <signal.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lib/daxfs/build.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/format/daxfs_format.h"
#include "lib/util/hex.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"
#include "tests/unit/model_ledger.hpp"
#include "tests/unit/model_witness.hpp"
#include "tests/unit/sim_memory.hpp"

using namespace daxpool::pool;
using daxpool::sim::SimBackend;
using daxpool::sim::SimOptions;

namespace {

[[noreturn]] void violation(const std::string &what)
{
	std::fprintf(stderr, "VIOLATION: %s\n", what.c_str());
	std::fflush(stderr);
	::_exit(3);
}

// On the non-coherent memory simulator when DAXPOOL_SIM_DIR is set (the driver's model test).
std::unique_ptr<Pool> open_rw(const std::string &path)
{
	const char *dir = std::getenv("DAXPOOL_SIM_DIR");
	if (!dir || !*dir)
		return Pool::open({path, {}}, Access::ReadWrite);
	SimOptions o;
	o.state_dir = dir;
	const char *seed = std::getenv("DAXPOOL_SIM_SEED");
	o.seed = (seed ? std::strtoull(seed, nullptr, 10) : 1) * 1000003 + uint64_t(::getpid());
	return std::make_unique<Pool>(std::make_unique<SimBackend>(path, o), Access::ReadWrite);
}

ImageInfo find_sealed(Pool &p, const std::string &name)
{
	for (const auto &i : p.info(false).images)
		if (i.name == name)
			return i;
	throw Error("no sealed image '" + name + "'");
}

int cmd_mount(const std::string &pool, const std::string &name, const std::string &mp)
{
	auto p = open_rw(pool);
	ImageInfo img = find_sealed(*p, name);
	record_mount(*p, img, mp);
	std::printf("mounted %llu\n", static_cast<unsigned long long>(img.id));
	return 0;
}

int cmd_mount_as_seen(const std::vector<std::string> &a)
{
	auto p = open_rw(a[1]);
	ImageInfo img;
	img.slot = static_cast<uint32_t>(std::stoul(a[2]));
	img.id = std::stoull(a[3]);
	img.generation = std::stoull(a[4]);
	img.name = a[5];
	record_mount(*p, img, a[6]);
	std::printf("mounted %llu\n", static_cast<unsigned long long>(img.id));
	return 0;
}

int cmd_forget(const std::string &pool, uint64_t id, const std::string &mp)
{
	auto p = open_rw(pool);
	forget_mount(*p, id, mp);
	return 0;
}

int cmd_load_stop(const std::string &pool, const std::string &image, const std::string &name)
{
	auto p = open_rw(pool);
	set_fault_hook([](const char *point) {
		if (std::strcmp(point, "load.writing") == 0)
			::raise(SIGSTOP);
	});
	ImageInfo i = p->load({image, name, {}, nullptr});
	std::printf("loaded %s\n", i.name.c_str());
	return 0;
}

int cmd_load_pause(const std::string &pool, const std::string &image, const std::string &name, unsigned ms)
{
	auto p = open_rw(pool);
	set_fault_hook([ms](const char *point) {
		if (std::strcmp(point, "load.writing") == 0)
			::usleep(ms * 1000);
	});
	ImageInfo i = p->load({image, name, {}, nullptr});
	std::printf("loaded %s\n", i.name.c_str());
	return 0;
}

struct Mounted {
	ImageInfo img;
	std::string mp;
	int64_t frozen = 0; // this host's paused time when it mounted
};

std::string env_str(const char *name)
{
	const char *v = std::getenv(name);
	return v ? v : "";
}

// Nanoseconds this simulated host has spent paused (pool/clock.hpp's freeze file).
int64_t frozen_now()
{
	std::ifstream f(env_str("DAXPOOL_TEST_FREEZE_FILE"));
	int64_t v = 0;
	f >> v;
	return v;
}

// "" when the pool bytes at m are the very image that was mounted, else what differs.
std::string check_image(Pool &p, const Mounted &m)
{
	std::span<const uint8_t> b = p.shared().view(m.img.offset, m.img.image_size);
	daxpool::daxfs::FsckReport r = daxpool::daxfs::fsck_bytes(b);
	if (!r.ok())
		return "not a valid image";
	if (r.size != m.img.image_size)
		return "size " + std::to_string(r.size) + " instead of " + std::to_string(m.img.image_size);
	if (std::memcmp(reinterpret_cast<const daxfs_super *>(b.data())->uuid, m.img.uuid.data(), 16) != 0)
		return "another image's uuid";
	if (r.computed != m.img.digest)
		return "another digest";
	return "";
}

// A mount of this host is gone legitimately only if the host was paused (past its lease) since
// it mounted and someone tried `unload --force` of the image: a paused host is expired to the
// others, and --force reclaims an expired host's mount.
bool reclaimed_while_paused(const Mounted &m)
{
	if (frozen_now() == m.frozen)
		return false;
	auto g = model::Ledger::read(env_str("DAXPOOL_MODEL_LEDGER"));
	return g.unload_forced.count(m.img.id) != 0;
}

// Returns false when the mount was legitimately reclaimed (it is then forgotten).
bool verify(Pool &p, const Mounted &m)
{
	std::string why = check_image(p, m);
	if (why.empty())
		return true;
	if (reclaimed_while_paused(m)) {
		model::ledger_append(env_str("DAXPOOL_MODEL_LEDGER"), "R " + std::to_string(m.img.id));
		return false;
	}
	violation("image '" + m.img.name + "' (id " + std::to_string(m.img.id) + ") at " + m.mp +
		  " was changed while this host had it mounted: " + why);
}

// For violation messages: every slot's liveness and writer ticket as this process sees them.
std::string hosts_view(Pool &p)
{
	std::string s;
	const int64_t now = realtime_ns();
	for (const auto &h : read_hosts(p))
		s += "\n  slot " + std::to_string(h.slot) + " " + h.hostname + " boot " + h.boot_id.substr(0, 16) + " " +
		     liveness_name(h.liveness) + " (beat " + std::to_string(h.beat.counter) + ", stamped " +
		     std::to_string((now - h.stamped) / 1000000) + " ms ago by its clock, ticket beats " +
		     std::to_string(h.beat.ticket_beats) + ") ticket " + std::to_string(h.ticket.ticket) +
		     (h.ticket.choosing ? " choosing" : "") + " pid " + std::to_string(h.ticket.pid) +
		     (h.ticket_unknown ? " unknown" : "");
	return s;
}

std::string hex16(const uint8_t *b) { return daxpool::util::hex(std::span<const uint8_t>(b, 16)); }

// A new daxfs image (its own uuid and digest) of about `bytes`, built in dir; removed by the
// caller after the load.
std::string unique_image(const std::string &dir, const std::string &name, uint64_t bytes, uint64_t seed)
{
	namespace fs = std::filesystem;
	fs::path tree = fs::path(dir) / ("tree-" + name);
	fs::create_directories(tree / "sub");
	std::mt19937_64 rng(seed);
	std::string big(bytes, '\0');
	for (size_t i = 0; i + 8 <= big.size(); i += 8) {
		uint64_t v = rng();
		std::memcpy(big.data() + i, &v, 8);
	}
	auto put = [](const fs::path &f, const std::string &d) {
		std::ofstream o(f, std::ios::binary);
		o.write(d.data(), static_cast<std::streamsize>(d.size()));
	};
	put(tree / "big", big);
	put(tree / "sub" / "name", name + "\n");
	daxpool::daxfs::BuildOptions b;
	b.source = tree.string();
	b.output = (fs::path(dir) / (name + ".img")).string();
	b.mtime = 1700000000;
	daxpool::daxfs::build_image(b);
	fs::remove_all(tree);
	return b.output;
}

int cmd_run(const std::string &pool, uint64_t seed, double seconds, const std::string &witness_path,
	    const std::vector<std::string> &images)
{
	auto p = open_rw(pool);
	std::mt19937_64 rng(seed);
	const long me = ::getpid();
	const std::string ledger = env_str("DAXPOOL_MODEL_LEDGER"), unique_dir = env_str("DAXPOOL_MODEL_UNIQUE_DIR");
	auto *sim = dynamic_cast<SimBackend *>(&p->backend());
	model::Witness witness(witness_path, sim == nullptr);
	if (!witness.ok())
		throw Error("cannot open the witness " + witness_path);
	// Simulator: the stores of two writers to the catalog or an extent must not interleave (a
	// writer that was deposed, e.g. after a pause, must not store again).
	if (sim) {
		const uint64_t catalog = p->super().catalog_off;
		sim->set_store_check([&witness, me, catalog](uint64_t off, uint64_t len) {
			if (off + len <= catalog)
				return; // the host table: this host's slot, not the writer role's
			if (std::string v = witness.store(me, off); !v.empty())
				violation(v);
		});
	}
	// The agent: this host's heartbeat for the whole run.
	auto agent = HostSession::claim(*p);
	agent->start_beating();
	const std::string tag = std::getenv("DAXPOOL_HOSTNAME") ? std::getenv("DAXPOOL_HOSTNAME") : "h";

	// Delays inside the writer role widen the windows in which a second writer would be caught.
	set_fault_hook([&witness, me, &rng, tag, &p](const char *point) {
		if (std::strcmp(point, "writer.enter") == 0) {
			unsigned before = witness.takeovers, overlaps_before = witness.overlaps;
			if (std::string v = witness.enter(me, tag); !v.empty())
				violation(v + "; the host table as this process reads it now:" + hosts_view(*p));
			if (witness.takeovers != before)
				model::ledger_append(env_str("DAXPOOL_MODEL_LEDGER"), "T " + std::to_string(me));
			if (witness.overlaps != overlaps_before)
			{
				std::string v = hosts_view(*p);
				std::replace(v.begin(), v.end(), '\n', '|');
				model::ledger_append(env_str("DAXPOOL_MODEL_LEDGER"), "E " + std::to_string(me) + " " + v);
			}
		} else if (std::strcmp(point, "writer.exit") == 0) {
			witness.exit(me);
		} else if (rng() % 8 == 0) {
			::usleep(static_cast<useconds_t>(rng() % 10000));
		}
	});

	std::vector<Mounted> mounted;
	auto lease_ok = [&] {
		try {
			agent->check_lease();
		} catch (const Error &e) {
			std::fprintf(stderr, "lost lease: %s\n", e.what());
			std::fflush(stderr);
			::_exit(4);
		}
	};
	auto verify_some = [&](size_t k) {
		if (!verify(*p, mounted[k]))
			mounted.erase(mounted.begin() + long(k));
	};
	const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
	unsigned n = 0, loads = 0, unloads = 0, mounts = 0, umounts = 0, refusals = 0;
	std::map<std::string, unsigned> why; // refusals by kind
	auto refused = [&](const Error &e) {
		refusals++;
		const char *kinds[] = {"is mounted on", "listed as mounted by", "is being unloaded", "is full",
				       "no image named", "not sealed"};
		for (const char *k : kinds)
			if (std::strstr(e.what(), k)) {
				why[k]++;
				return;
			}
		why[e.what()]++;
	};
	while (std::chrono::steady_clock::now() < end) {
		n++;
		unsigned op = static_cast<unsigned>(rng() % 100);
		try {
			if (op < 30) {
				const std::string name = tag + "-" + std::to_string(me) + "-" + std::to_string(n);
				std::string img = images[rng() % images.size()];
				if (!unique_dir.empty())
					img = unique_image(unique_dir, name, std::filesystem::file_size(img) * 15 / 16, rng());
				struct Remove {
					std::string path;
					~Remove()
					{
						if (!path.empty())
							::unlink(path.c_str());
					}
				} rm{unique_dir.empty() ? "" : img};
				ImageInfo i = p->load({img, name, {}, nullptr});
				loads++;
				model::ledger_append(ledger, "L " + std::to_string(i.id) + " " + hex16(i.uuid.data()) + " " +
								     hex16(i.digest.data()) + " " + i.name);
			} else if (op < 55) {
				auto imgs = p->info(false).images;
				if (!imgs.empty()) {
					const ImageInfo &victim = imgs[rng() % imgs.size()];
					bool ours = false;
					for (const auto &m : mounted)
						ours |= m.img.id == victim.id;
					bool force = rng() % 3 == 0;
					model::ledger_append(ledger, "U " + std::to_string(victim.id) + (force ? " force" : " plain"));
					try {
						p->unload(victim.name, nullptr, force);
						unloads++;
						model::ledger_append(ledger, "u " + std::to_string(victim.id));
						if (ours)
							violation("unload of '" + victim.name + "' succeeded while this host has it mounted");
					} catch (const Error &e) {
						if (std::strstr(e.what(), "lost the writer role"))
							throw;
						refused(e);
					}
				}
			} else if (op < 75) {
				auto imgs = p->info(false).images;
				if (!imgs.empty() && mounted.size() < 4) {
					ImageInfo img = imgs[rng() % imgs.size()];
					// (the processes of one host mount at different places)
					std::string mp = "/mnt/" + tag + "/" + std::to_string(me) + "/" + std::to_string(n);
					try {
						int64_t fz = frozen_now();
						record_mount(*p, img, mp);
						mounted.push_back({img, mp, fz});
						mounts++;
						model::ledger_append(ledger, "M " + std::to_string(img.id));
						verify_some(mounted.size() - 1);
					} catch (const Error &e) {
						refused(e);
					}
				}
			} else if (op < 98) {
				if (!mounted.empty()) {
					size_t k = rng() % mounted.size();
					Mounted m = mounted[k];
					mounted.erase(mounted.begin() + long(k));
					if (verify(*p, m)) {
						forget_mount(*p, m.img.id, m.mp);
						umounts++;
					}
				}
			}
		} catch (const Error &e) {
			// Refusals (full, name clash, being unloaded) are part of the game; a lost writer
			// role is not a violation but ends this host.
			if (std::strstr(e.what(), "lost the writer role")) {
				std::fprintf(stderr, "lost lease: %s\n", e.what());
				::_exit(4);
			}
			refused(e);
		}
		lease_ok();
		if (!mounted.empty())
			verify_some(rng() % mounted.size());
		::usleep(static_cast<useconds_t>(rng() % 20000));
	}
	for (size_t k = mounted.size(); k-- > 0;)
		verify_some(k);
	std::string kinds;
	for (const auto &[k, c] : why)
		kinds += " [" + k + "]=" + std::to_string(c);
	std::printf("%s: %u ops: %u loads, %u unloads, %u mounts, %u umounts, %u refusals:%s; %zu still mounted\n",
		    tag.c_str(), n, loads, unloads, mounts, umounts, refusals, kinds.c_str(), mounted.size());
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> a(argv + 1, argv + argc);
	try {
		if (a.size() == 4 && a[0] == "mount")
			return cmd_mount(a[1], a[2], a[3]);
		if (a.size() == 7 && a[0] == "mount-as-seen")
			return cmd_mount_as_seen(a);
		if (a.size() == 4 && a[0] == "forget")
			return cmd_forget(a[1], std::stoull(a[2]), a[3]);
		if (a.size() == 4 && a[0] == "load-stop")
			return cmd_load_stop(a[1], a[2], a[3]);
		if (a.size() == 5 && a[0] == "load-pause")
			return cmd_load_pause(a[1], a[2], a[3], static_cast<unsigned>(std::stoul(a[4])));
		if (a.size() >= 6 && a[0] == "run")
			return cmd_run(a[1], std::stoull(a[2]), std::stod(a[3]), a[4], {a.begin() + 5, a.end()});
	} catch (const std::exception &e) {
		std::fprintf(stderr, "model_host: error: %s\n", e.what());
		return 1;
	}
	std::fprintf(stderr, "usage: see tests/unit/model_host.cpp\n");
	return 2;
}
