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
void add_umount(CLI::App &app);
void add_probe(CLI::App &app);
// mount.daxfs / umount.daxfs: the binary run under that name (cmd_helpers.cpp); exit status.
int helper_main(int argc, char **argv, bool umount);

// The devices, regions and pools this host sees (daxpool topology, daxpool list without a pool).
void print_topology(bool json, bool human);

} // namespace daxpool::cli
