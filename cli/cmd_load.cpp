// SPDX-License-Identifier: GPL-2.0-only
// daxpool load IMAGE (--pool P | --region N) [-n NAME] [-j [-u]] [--no-progress]
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/pool_opts.hpp"
#include "cli/pool_print.hpp"
#include "cli/progress.hpp"
#include "lib/util/size.hpp"
#include "pool/pool.hpp"

namespace daxpool::cli {

namespace {

std::atomic<bool> stop_requested{false};
void on_stop_signal(int) { stop_requested = true; }

// While a load runs, SIGINT, SIGTERM and SIGHUP stop it at the next chunk: the extent is freed
// and the command fails with a message (the stores are non-temporal: nothing is left in this
// host's cache either way). Restored on scope exit.
class StopOnSignal {
public:
	StopOnSignal()
	{
		struct sigaction sa{};
		sa.sa_handler = on_stop_signal;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < std::size(sigs_); i++)
			::sigaction(sigs_[i], &sa, &old_[i]);
	}
	~StopOnSignal()
	{
		for (size_t i = 0; i < std::size(sigs_); i++)
			::sigaction(sigs_[i], &old_[i], nullptr);
	}
	StopOnSignal(const StopOnSignal &) = delete;
	StopOnSignal &operator=(const StopOnSignal &) = delete;

private:
	static constexpr int sigs_[3] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old_[3];
};

} // namespace

void add_load(CLI::App &app)
{
	auto *cmd = app.add_subcommand("load", "copy a daxfs image into a pool (validated, copied, verified, then sealed)");
	struct Opts {
		std::string image, name, automount;
		PoolOpts pool;
		bool json = false, human = false, no_progress = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_option("IMAGE", o->image, "daxfs image file (from daxpool build)")->required();
	add_pool_opts(cmd, o->pool);
	cmd->add_option("-n,--name", o->name, "image name in the pool (default: the file name without .img)");
	cmd->add_option("--automount", o->automount,
			"the absolute path hosts mount it at on boot (daxpool-automount@.service; change it later "
			"with daxpool automount)");
	cmd->add_flag("-j,--json", o->json, "print the loaded image as JSON");
	cmd->add_flag("-u,--human", o->human, "human-readable sizes in JSON");
	cmd->add_flag("--no-progress", o->no_progress,
		      "no progress on a terminal (phases validate, copy, verify with rate and ETA, on stderr)");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		pool::PoolRef ref = o->pool.ref();
		auto p = pool::Pool::open(ref, pool::Access::ReadWrite);
		pool::LoadOptions lo;
		lo.image = o->image;
		lo.name = o->name;
		lo.automount = o->automount;
		lo.on_wait = [] { note("waiting for another writer of this pool..."); };
		lo.stop = &stop_requested;
		StopOnSignal stop;
		// The library reports the copy only; the phases around it follow from its calls:
		// validate (and plan) until the first chunk, verify (read back, seal) after the last.
		Progress prog("load", Progress::choose(o->no_progress));
		prog.phase("validate");
		lo.progress = [&prog](uint64_t done, uint64_t total) {
			if (prog.current() != "copy")
				prog.phase("copy", total);
			prog.update(done);
			if (done >= total)
				prog.phase("verify");
		};
		pool::ImageInfo img = p->load(lo);
		prog.end_phase();
		if (o->json) {
			Json j = image_json(img, o->human);
			print(j.get());
		} else if (!quiet()) {
			std::printf("loaded %s into %s as '%s' (id %llu): %s at offset %#llx, digest xxh3-128:%s\n",
				    o->image.c_str(), ref.display().c_str(), img.name.c_str(),
				    static_cast<unsigned long long>(img.id), util::format_size(img.image_size).c_str(),
				    static_cast<unsigned long long>(img.offset), digest_hex(img).c_str());
		}
	});
}

} // namespace daxpool::cli
