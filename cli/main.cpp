// SPDX-License-Identifier: GPL-2.0-only
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char **argv)
{
	// mount(8) and umount(8) run /sbin/mount.daxfs and /sbin/umount.daxfs (links to daxpool).
	const char *base = std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
	if (!std::strcmp(base, "mount.daxfs") || !std::strcmp(base, "umount.daxfs"))
		return daxpool::cli::helper_main(argc, argv, base[0] == 'u');

	CLI::App app{"daxpool: share read-only filesystem images across hosts through CXL memory"};
	app.set_version_flag("--version", DAXPOOL_VERSION);
	app.require_subcommand(1);

	daxpool::cli::add_topology(app);
	daxpool::cli::add_build(app);
	daxpool::cli::add_fsck(app);
	daxpool::cli::add_inspect(app);
	daxpool::cli::add_create(app);
	daxpool::cli::add_load(app);
	daxpool::cli::add_list(app);
	daxpool::cli::add_unload(app);
	daxpool::cli::add_status(app);
	daxpool::cli::add_agent(app);
	daxpool::cli::add_attach(app);
	daxpool::cli::add_destroy(app);
	daxpool::cli::add_mount(app);
	daxpool::cli::add_umount(app);
	daxpool::cli::add_automount(app);
	daxpool::cli::add_probe(app);

	app.footer(daxpool::cli::exit_status_epilog);
	for (auto *sub : app.get_subcommands([](CLI::App *) { return true; }))
		if (sub->get_footer().empty())
			sub->footer(daxpool::cli::exit_status_epilog);

	// Tests: DAXPOOL_PARSE_ONLY=1 checks a command line as far as CLI11 does (flags, values,
	// required options) and runs nothing.
	// (After parsing and validation, before any command's callback.)
	if (const char *po = std::getenv("DAXPOOL_PARSE_ONLY"); po && *po == '1')
		app.parse_complete_callback([] { throw CLI::Success(); });

	using namespace daxpool::cli;
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		// --help and --version (exit code 0) print as CLI11 does; a bad command line is a usage
		// error: status 2 (fsck: 16, as fsck(8)), one message in the form of every other error.
		if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
			return app.exit(e);
		std::fprintf(stderr, "daxpool: error: %s\nRun 'daxpool --help' (or 'daxpool COMMAND --help') for usage.\n",
			     e.what());
		return app.get_subcommand("fsck")->parsed() ? FSCK_USAGE : EXIT_USAGE;
	} catch (const ExitStatus &e) {
		if (*e.what())
			std::fprintf(stderr, "daxpool: error: %s\n", e.what());
		return e.status;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "daxpool: error: %s\n", e.what());
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
