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
//       mounted is intact in the pool (validated in place, same digest), and nobody else is in
//       the writer role while this process is (an exclusive flock on WITNESS taken at
//       writer.enter). A violation prints "VIOLATION: ..." and exits 3; a lost lease (this
//       host was slow enough to be declared dead) exits 4.
#include <signal.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lib/daxfs/fsck.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"

using namespace daxpool::pool;

namespace {

[[noreturn]] void violation(const std::string &what)
{
	std::fprintf(stderr, "VIOLATION: %s\n", what.c_str());
	std::fflush(stderr);
	::_exit(3);
}

std::unique_ptr<Pool> open_rw(const std::string &path) { return Pool::open({path, {}}, Access::ReadWrite); }

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
};

void verify(Pool &p, const Mounted &m)
{
	daxpool::daxfs::FsckReport r = daxpool::daxfs::fsck_bytes(p.shared().view(m.img.offset, m.img.image_size));
	if (!r.ok() || r.computed != m.img.digest)
		violation("image '" + m.img.name + "' (id " + std::to_string(m.img.id) + ") at " + m.mp +
			  " was changed while this host had it mounted");
}

int cmd_run(const std::string &pool, uint64_t seed, double seconds, const std::string &witness,
	    const std::vector<std::string> &images)
{
	auto p = open_rw(pool);
	std::mt19937_64 rng(seed);
	// The agent: this host's heartbeat for the whole run.
	auto agent = HostSession::claim(*p);
	agent->start_beating();
	const std::string tag = std::getenv("DAXPOOL_HOSTNAME") ? std::getenv("DAXPOOL_HOSTNAME") : "h";

	int wfd = ::open(witness.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (wfd < 0)
		throw Error("cannot open the witness " + witness);
	// Delays inside the writer role widen the windows in which a second writer would be caught.
	set_fault_hook([wfd, &rng](const char *point) {
		if (std::strcmp(point, "writer.enter") == 0) {
			if (::flock(wfd, LOCK_EX | LOCK_NB) != 0) {
				char who[64] = {};
				ssize_t n = ::pread(wfd, who, sizeof who - 1, 0);
				violation("two processes in the writer role at once (the other: " +
					  std::string(who, n > 0 ? size_t(n) : 0) + ")");
			}
			const char *hn = std::getenv("DAXPOOL_HOSTNAME"), *bt = std::getenv("DAXPOOL_BOOT_ID");
			std::string me = std::to_string(::getpid()) + " " + (hn ? hn : "?") + " " + (bt ? bt : "?") + "          ";
			if (::pwrite(wfd, me.data(), me.size(), 0) < 0)
				violation("cannot write the witness");
		} else if (std::strcmp(point, "writer.exit") == 0) {
			::flock(wfd, LOCK_UN);
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
				const std::string &img = images[rng() % images.size()];
				p->load({img, tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(n), {}, nullptr});
				loads++;
			} else if (op < 55) {
				auto imgs = p->info(false).images;
				if (!imgs.empty()) {
					const ImageInfo &victim = imgs[rng() % imgs.size()];
					bool ours = false;
					for (const auto &m : mounted)
						ours |= m.img.id == victim.id;
					bool force = rng() % 3 == 0;
					try {
						p->unload(victim.name, nullptr, force);
						unloads++;
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
					std::string mp = "/mnt/" + tag + "/" + std::to_string(::getpid()) + "/" + std::to_string(n);
					try {
						record_mount(*p, img, mp);
						mounted.push_back({img, mp});
						mounts++;
						verify(*p, mounted.back());
					} catch (const Error &e) {
						refused(e);
					}
				}
			} else if (op < 98) {
				if (!mounted.empty()) {
					size_t k = rng() % mounted.size();
					verify(*p, mounted[k]);
					forget_mount(*p, mounted[k].img.id, mounted[k].mp);
					mounted.erase(mounted.begin() + long(k));
					umounts++;
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
			verify(*p, mounted[rng() % mounted.size()]);
		::usleep(static_cast<useconds_t>(rng() % 20000));
	}
	for (const auto &m : mounted)
		verify(*p, m);
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
