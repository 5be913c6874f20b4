// SPDX-License-Identifier: GPL-2.0-only
// daxpool probe --udev DEVNODE: udev's IMPORT{program} (udev/90-daxpool.rules). Reads only the
// two superblock copies and prints, as KEY=VALUE lines:
//   a pool:                 ID_DAXPOOL_UUID=U, ID_DAXPOOL_NAME=N, ID_DAXPOOL_IGNORED= (empty)
//   no pool, or a damaged   ID_DAXPOOL_UUID= and ID_DAXPOOL_NAME=, ID_DAXPOOL_IGNORED=no-pool |
//   one (both superblocks   damaged-pool, and one log line. udev skips empty values: the rule
//   invalid, magic kept):   clears UUID and NAME itself for no-pool (no link, no units: the pool
//                           was destroyed or wiped); a damaged pool keeps what the last probe
//                           found (its agent beats on, its mounted images stay mounted).
//   a device it cannot read: one log line, nothing on stdout, status 1 (the rule's IMPORT{db}
//     then keeps what the last probe found: a failing probe on a change event must not drop
//     the link and stop the agent of a pool whose images are mounted).
// Log lines go to stderr, and, when udev runs the probe (it keeps a program's stderr only in
// its debug log), to the journal too. Under udev a device is ignored with one line per boot:
// a device seen at boot gets two "add" events (the kernel's, then the coldplug's), and a
// "change" may follow; the finding logged is kept in /run/daxpool/probe/NAME (the kernel's name:
// pmem0, dax0.0; /run is empty at every boot), and the same finding for the same device is not
// logged again. That file is the probe's only write; it is read and written under a lock.
// Seen in the systemd guest (udev 252): a property exported for udev's database did not do
// (the second "add" did not get the first one's through IMPORT{db}), nor did a note keyed by
// device number without a lock (one device of two was still logged twice; whether its number
// changed or the two probes overlapped was not found out).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "lib/util/fd.hpp"
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

const char *env_or(const char *name, const char *dflt)
{
	const char *v = std::getenv(name);
	return v ? v : dflt;
}

void log_line(int prio, const std::string &dev, const std::string &msg)
{
	const std::string line = "daxpool probe: " + dev + ": " + msg;
	std::fprintf(stderr, "%s\n", line.c_str());
	if (under_udev())
		// Best effort: without a journal, stderr (udev's debug log) is all there is.
		sd_journal_send("MESSAGE=%s", line.c_str(), "PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=daxpool",
				"DAXPOOL_DEVICE=%s", dev.c_str(), "UDEV_ACTION=%s", std::getenv("ACTION"),
				"UDEV_SEQNUM=%s", env_or("SEQNUM", ""), nullptr);
}

constexpr const char *STATE_DIR = "/run/daxpool/probe";

// Where the probe notes what it logged for a device under udev, by the device's kernel name
// (pmem0, dax0.0); "" for a file or outside udev.
std::string state_file(const std::string &dev)
{
	struct stat st;
	if (!under_udev() || ::stat(dev.c_str(), &st) < 0 || !(S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))
		return {};
	return std::string(STATE_DIR) + "/" + dev.substr(dev.rfind('/') + 1);
}

// Whether FINDING is news for DEV in this boot; notes it. Under the note's lock, so that two
// probes of one device at once (seen: the kernel's and the coldplug's "add") log it once. Any
// error: news (a line too many rather than none).
bool news(const std::string &dev, const char *finding)
{
	const std::string state = state_file(dev);
	if (state.empty())
		return true;
	::mkdir("/run/daxpool", 0755);
	::mkdir(STATE_DIR, 0755);
	util::Fd fd(::open(state.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	if (!fd || ::flock(fd.get(), LOCK_EX) < 0)
		return true;
	const std::string line = std::string(finding) + "\n";
	char buf[64];
	ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
	if (n > 0 && std::string(buf, static_cast<size_t>(n)) == line)
		return false;
	// Best effort: a note not written makes a later probe log the line again.
	[[maybe_unused]] bool noted = ::ftruncate(fd.get(), 0) == 0 &&
				      ::pwrite(fd.get(), line.data(), line.size(), 0) == static_cast<ssize_t>(line.size());
	return true;
}

// A device left alone: its properties cleared, the finding exported, one line unless it was
// logged for this device already in this boot.
void ignore(const std::string &dev, const char *finding, int prio, const std::string &msg)
{
	if (news(dev, finding))
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
			if (const std::string state = state_file(dev); !state.empty())
				::unlink(state.c_str()); // a pool now: the next finding is news again
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
