// SPDX-License-Identifier: GPL-2.0-only
// What every command shares: verbosity, where notes go, how regions are named.
#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"

namespace daxpool::cli {

namespace {

Verbosity g_level;

} // namespace

const char *const exit_status_epilog = "Exit status: 0 success, 1 error, 2 command-line (usage) error.\n";

void add_verbosity(CLI::App *cmd, Verbosity &v)
{
	cmd->add_flag("-q,--quiet", v.quiet, "print only results and errors (no steps, notes or progress)");
	cmd->add_flag("-v,--verbose", v.verbose, "also every step and phase, and the log of libcxl/libndctl/libdaxctl");
}

void set_verbosity(const Verbosity &v)
{
	if (v.quiet && v.verbose)
		throw CLI::ValidationError("--quiet and --verbose contradict each other: give one");
	g_level = v;
	// ndctl's libraries read their log level from the environment when their context is
	// created (NDCTL_LOG, CXL_LOG, DAXCTL_LOG), as `ndctl -v` sets it.
	if (v.verbose)
		for (const char *var : {"NDCTL_LOG", "CXL_LOG", "DAXCTL_LOG"})
			::setenv(var, "debug", 0);
}

bool quiet() { return g_level.quiet; }
bool verbose() { return g_level.verbose; }

void note(const std::string &msg)
{
	if (!g_level.quiet)
		std::fprintf(stderr, "daxpool: %s\n", msg.c_str());
}

void warn(const std::string &msg) { std::fprintf(stderr, "daxpool: warning: %s\n", msg.c_str()); }

unsigned parse_region(const std::string &s)
{
	std::string digits = s.rfind("region", 0) == 0 ? s.substr(6) : s;
	if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
		throw Error("region '" + s + "': expected N or regionN (as ndctl names regions: region0)");
	return static_cast<unsigned>(std::stoul(digits));
}

const CLI::Validator &region_validator()
{
	static const CLI::Validator v(
		[](std::string &s) -> std::string {
			try {
				parse_region(s);
			} catch (const Error &e) {
				return e.what();
			}
			return {};
		},
		"N|regionN");
	return v;
}

} // namespace daxpool::cli
