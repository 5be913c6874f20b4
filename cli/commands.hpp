// SPDX-License-Identifier: GPL-2.0-only
// Each daxpool subcommand lives in its own cmd_*.cpp and registers itself here. Commands hold
// no logic of their own: they parse, call lib/ or pool/, and print.
#pragma once

#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace daxpool::cli {

// A failure to report to the operator: printed as "daxpool: error: <what>", exit status 1.
struct Error : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// Ends the command with STATUS (fsck's fsck(8) codes); WHAT, when not empty, is printed as an
// error first.
struct ExitStatus : Error {
	int status;
	ExitStatus(int st, const std::string &what) : Error(what), status(st) {}
};

// Exit statuses of every command (docs and --help epilog).
inline constexpr int EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2;
// daxpool agent only: the device or file holds no pool (none at its start, or the pool was
// destroyed or wiped under it). daxpool-agent@.service counts it as a clean stop and does not
// restart it (SuccessExitStatus=, RestartPreventExitStatus=); tests/install checks they agree.
inline constexpr int EXIT_NO_POOL = 3;
// fsck(8): 0 clean, 1 errors corrected, 4 errors left uncorrected, 8 operational error, 16
// usage error.
inline constexpr int FSCK_CLEAN = 0, FSCK_CORRECTED = 1, FSCK_UNCORRECTED = 4, FSCK_OPERATIONAL = 8,
		     FSCK_USAGE = 16;

// -v/--verbose and -q/--quiet, on every command. Results go to stdout; steps, notes and
// warnings to stderr (quiet: errors only; verbose: also the libraries' log and every phase).
struct Verbosity {
	bool verbose = false, quiet = false;
};
void add_verbosity(CLI::App *cmd, Verbosity &v);
// The process-wide level, set by the running command (for say-callbacks of the libraries).
void set_verbosity(const Verbosity &v);
bool quiet();
bool verbose();
// One step or note for the operator, on stderr as "daxpool: MSG"; nothing with --quiet.
void note(const std::string &msg);
void warn(const std::string &msg); // "daxpool: warning: MSG", also with --quiet
// The callback form of note() for the libraries' progress lines.
inline void say_step(const std::string &m) { note(m); }

// --region N | regionN: CLI11 validator and parser (ndctl names regions "regionN").
const CLI::Validator &region_validator();
unsigned parse_region(const std::string &s);

// The help epilog with the exit statuses of ordinary commands.
extern const char *const exit_status_epilog;

void add_topology(CLI::App &app);
void add_build(CLI::App &app);
void add_fsck(CLI::App &app);
void add_inspect(CLI::App &app);
void add_create(CLI::App &app);
void add_load(CLI::App &app);
void add_list(CLI::App &app);
void add_unload(CLI::App &app);
void add_status(CLI::App &app);
void add_agent(CLI::App &app);
void add_attach(CLI::App &app);
void add_destroy(CLI::App &app);
void add_mount(CLI::App &app);
void add_automount(CLI::App &app);
void add_umount(CLI::App &app);
void add_probe(CLI::App &app);
// mount.daxfs / umount.daxfs: the binary run under that name (cmd_helpers.cpp); exit status.
int helper_main(int argc, char **argv, bool umount);

// The devices, regions and pools this host sees (daxpool topology, daxpool list without a pool);
// BUS "cxl" or "nvdimm" shows that bus's only (as ndctl list -b), "" all.
void print_topology(bool json, bool human, const std::string &bus = "");
// -b/--bus cxl|nvdimm, the filter of list and topology.
CLI::Option *add_bus_filter(CLI::App *cmd, std::string &bus);

} // namespace daxpool::cli
