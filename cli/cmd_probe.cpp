// SPDX-License-Identifier: GPL-2.0-only
// daxpool probe --udev DEVNODE: udev's IMPORT{program} (udev/90-daxpool.rules). Reads only the
// two superblock copies and prints, as KEY=VALUE lines:
//   a pool:                 ID_DAXPOOL_UUID=U, ID_DAXPOOL_NAME=N, ID_DAXPOOL_IGNORED= (empty)
//   no pool, or a damaged   ID_DAXPOOL_UUID= and ID_DAXPOOL_NAME= (cleared: no link, no units),
//   one (both superblocks   ID_DAXPOOL_IGNORED=no-pool | damaged-pool, and one log line
//   invalid, magic kept):
//   a device it cannot read: one log line, nothing on stdout, status 1 (the rule's IMPORT{db}
//     then keeps what the last probe found: a failing probe on a change event must not drop
//     the link and stop the agent of a pool whose images are mounted).
// Log lines go to stderr, and, when udev runs the probe (it keeps a program's stderr only in
// its debug log), to the journal too. A device is ignored with one line per boot: udev passes
// the last finding back (ID_DAXPOOL_IGNORED, IMPORT{db}), and the same finding for the same
// device (the coldplug's "add" after the kernel's, a "change") is not logged again.
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "pool/device.hpp"
#include "pool/error.hpp"
#include "pool/pool.hpp"
#include "pool/probe.hpp"

namespace daxpool::cli {

namespace {

// Run by udev: the event's environment (udev(7): every program gets the device's properties,
// DEVPATH and ACTION among them).
bool under_udev()
{
	return std::getenv("DEVPATH") && std::getenv("ACTION");
}

void log_line(int prio, const std::string &dev, const std::string &msg)
{
	const std::string line = "daxpool probe: " + dev + ": " + msg;
	std::fprintf(stderr, "%s\n", line.c_str());
	if (under_udev())
		// Best effort: without a journal, stderr (udev's debug log) is all there is.
		sd_journal_send("MESSAGE=%s", line.c_str(), "PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=daxpool",
				"DAXPOOL_DEVICE=%s", dev.c_str(), nullptr);
}

// A device left alone: its properties cleared, the finding exported, one line unless udev
// says this finding was already logged for this device.
void ignore(const std::string &dev, const char *finding, int prio, const std::string &msg)
{
	const char *last = std::getenv("ID_DAXPOOL_IGNORED");
	if (!last || std::string(last) != finding)
		log_line(prio, dev, msg);
	std::printf("ID_DAXPOOL_UUID=\nID_DAXPOOL_NAME=\nID_DAXPOOL_IGNORED=%s\n", finding);
}

} // namespace

void add_probe(CLI::App &app)
{
	auto *cmd = app.add_subcommand("probe", "print the pool on a device as KEY=VALUE lines (udev's IMPORT{program})");
	struct Opts {
		std::string dev;
		bool udev = false;
	};
	auto o = std::make_shared<Opts>();
	cmd->add_flag("--udev", o->udev, "udev's format: ID_DAXPOOL_* properties (the only format so far)")->required();
	cmd->add_option("device", o->dev, "a device node (/dev/daxX.Y, /dev/pmemN) or a file-backed pool")->required();
	cmd->callback([o] {
		const std::string &dev = o->dev;
		try {
			struct stat st;
			const bool file = ::stat(dev.c_str(), &st) == 0 && S_ISREG(st.st_mode); // a file-backed pool (tests)
			pool::Pool p(file ? pool::open_file_backend(dev, pool::Access::ReadOnly)
					  : pool::open_device_backend(dev, pool::Access::ReadOnly),
				     pool::Access::ReadOnly);
			const std::string name = p.super().name;
			std::printf("ID_DAXPOOL_UUID=%s\nID_DAXPOOL_NAME=%s\nID_DAXPOOL_IGNORED=\n", p.uuid().c_str(),
				    name.c_str());
		} catch (const pool::NotAPool &) {
			std::string sig;
			try {
				sig = pool::probe_signature(dev);
			} catch (const std::exception &) {
			}
			if (sig == "a daxpool pool")
				ignore(dev, "damaged-pool", LOG_WARNING,
				       "a daxpool pool whose superblocks are both damaged, ignored (daxpool fsck --pool " + dev + ")");
			else
				ignore(dev, "no-pool", LOG_INFO,
				       "no daxpool pool" + (sig.empty() ? std::string() : " (" + sig + ")") + ", ignored");
		} catch (const std::exception &e) {
			log_line(LOG_ERR, dev, e.what());
			throw ExitStatus(EXIT_ERROR, "");
		}
	});
}

} // namespace daxpool::cli
