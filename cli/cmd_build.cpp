// SPDX-License-Identifier: GPL-2.0-only
// daxpool build SRC -o IMAGE [--tar] [--uuid U] [--label L] [--mtime T] [--all-root] [--max-size S]
//               [--no-progress]
// daxpool build --tar LAYER... -o IMAGE [...]; daxpool build --oci PATH[:TAG] -o IMAGE [...]
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "lib/daxfs/build.hpp"
#include "lib/daxfs/fsck.hpp"
#include "lib/daxfs/oci.hpp"
#include "lib/util/size.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::cli {

namespace {

int64_t parse_time(const std::string &what, const std::string &s)
{
	int64_t v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		throw Error(what + " '" + s + "' is not a number of seconds since the epoch");
	return v;
}

} // namespace

void add_build(CLI::App &app)
{
	auto *cmd = app.add_subcommand("build", "build a daxfs image from a directory, tar archives or an OCI image");
	struct Opts {
		std::vector<std::string> sources;
		std::string output, oci, platform, uuid, label, mtime, max_size;
		bool tar = false, all_root = false, no_progress = false;
		Verbosity v;
	};
	auto o = std::make_shared<Opts>();
	auto *src = cmd->add_option("SRC", o->sources,
			"source directory, or with --tar an archive, or several archives applied as layers (whiteouts)");
	cmd->add_option("-o,--output", o->output, "image file to write")->required();
	auto *tar = cmd->add_flag("--tar", o->tar, "SRC is a tar archive (any format/compression libarchive reads), or several layers");
	cmd->add_option("--oci", o->oci,
			"PATH[:TAG]: the image of an OCI image layout (the tagged manifest, or its only one), its layers "
			"flattened")
		->excludes(src)
		->excludes(tar);
	cmd->add_option("--platform", o->platform,
			"OS/ARCH[/VARIANT]: with --oci naming a multi-platform image index, the image to take "
			"(default: this machine's, " + daxfs::host_platform() + ")")
		->needs("--oci");
	// SRC or --oci; several SRC only as --tar layers (CLI11 has no "one of" for a positional).
	cmd->parse_complete_callback([o] {
		if (o->oci.empty() && o->sources.empty())
			throw CLI::ValidationError("SRC or --oci PATH[:TAG] is required");
		if (o->sources.size() > 1 && !o->tar)
			throw CLI::ValidationError("several SRC are tar layers: add --tar");
	});
	cmd->add_option("--uuid", o->uuid, "image UUID (default: derived from the content)");
	cmd->add_option("--label", o->label, "image label (at most 63 bytes)");
	cmd->add_option("--mtime", o->mtime,
			"build time and every inode's mtime, in seconds since the epoch (default: "
			"SOURCE_DATE_EPOCH, else the newest mtime)");
	cmd->add_flag("--all-root", o->all_root, "make every inode owned by 0:0");
	cmd->add_option("--max-size", o->max_size, std::string("refuse images larger than this (") +
							   std::string(util::size_forms) + ")");
	cmd->add_flag("--no-progress", o->no_progress, "no progress on a terminal (phases scan, write, on stderr)");
	add_verbosity(cmd, o->v);
	cmd->callback([o] {
		set_verbosity(o->v);
		daxfs::BuildOptions b;
		b.platform = o->platform;
		if (!o->oci.empty())
			b.oci = o->oci;
		else if (o->sources.size() == 1)
			b.source = o->sources[0];
		else
			b.layers = o->sources;
		b.output = o->output;
		b.tar = o->tar;
		b.label = o->label;
		b.all_root = o->all_root;
		if (!o->uuid.empty()) {
			b.uuid = daxfs::parse_uuid(o->uuid);
			if (!b.uuid)
				throw Error("--uuid '" + o->uuid + "' is not of the form 01234567-89ab-cdef-0123-456789abcdef");
		}
		if (!o->mtime.empty())
			b.mtime = parse_time("--mtime", o->mtime);
		else if (const char *sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde)
			b.source_date_epoch = parse_time("SOURCE_DATE_EPOCH", sde);
		if (!o->max_size.empty()) {
			util::SizeParse max = util::parse_size_ex(o->max_size);
			if (!max)
				throw Error(util::size_error("--max-size", o->max_size, max));
			b.max_size = max.value;
		}
		Progress prog("build", Progress::choose(o->no_progress));
		b.progress = [&prog](const char *phase, uint64_t done, uint64_t total) {
			if (prog.current() != phase)
				prog.phase(phase, total);
			prog.update(done);
		};
		daxfs::BuildResult r = daxfs::build_image(b);
		prog.end_phase();
		if (!quiet())
			std::printf("%s: %s, %u inodes, %s of file data, uuid %s, digest xxh3-128:%s\n", b.output.c_str(),
				    util::format_size(r.size).c_str(), r.inodes, util::format_size(r.data_bytes).c_str(),
				    util::format_uuid(r.uuid).c_str(), util::hex(r.digest).c_str());
		if (!quiet() && !r.oci_digest.empty())
			std::printf("%s: from OCI image %s%s%s\n", b.output.c_str(), r.oci_digest.c_str(),
				    r.oci_ref.empty() ? "" : ", tag ", r.oci_ref.c_str());
		if (!quiet() && !r.oci_platform.empty())
			std::printf("%s: platform %s, manifest %s\n", b.output.c_str(), r.oci_platform.c_str(),
				    r.oci_manifest.c_str());
	});
}

} // namespace daxpool::cli
