// SPDX-License-Identifier: GPL-2.0-only
// This host's settings: /etc/daxpool/daxpool.conf, then /etc/daxpool/daxpool.conf.d/*.conf in
// name order (a later assignment wins), each line KEY=VALUE ('#' and ';' comment lines, blank
// lines, VALUE optionally in single or double quotes). An
// environment variable of the same name wins over the files. DAXPOOL_CONF_DIR names another
// directory (tests). daxpool.conf(5) is in man/daxpool.8, "FILES".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace daxpool::pool {

struct Config {
	std::map<std::string, std::string> values;  // from the files
	std::vector<std::string> files;             // read, in order
	std::vector<std::string> unknown;           // "FILE:LINE: KEY" of keys daxpool does not know
	std::vector<std::string> warnings;          // lines skipped, files not read
};

// Reads the files of DIR (default: $DAXPOOL_CONF_DIR or /etc/daxpool). Missing files are fine;
// a line that is not KEY=VALUE, or an unreadable file, is skipped with a warning naming file and
// line (Config::warnings): a typo must not stop the heartbeat agent, as systemd's
// EnvironmentFile= skips what it cannot parse. The syntax is a subset of EnvironmentFile='s:
// no backslash escapes, no continuation lines, no comment after a value.
Config read_config(const std::string &dir = "");

// The files of this host, read once per process (read_config()).
const Config &host_config();

// The setting KEY: the environment's if set and not empty, else the files' (read once per
// process), else nullopt.
std::optional<std::string> setting(const std::string &key);

// Which images this host mounts at boot, and where (DAXPOOL_AUTOMOUNT, DAXPOOL_AUTOMOUNT_SKIP,
// DAXPOOL_AUTOMOUNT_AT; etc/daxpool.conf documents them).
struct AutomountPolicy {
	bool enabled = true;                        // DAXPOOL_AUTOMOUNT=no: nothing at all
	// DAXPOOL_AUTOMOUNT_PREFIXES: a path from the pool (written by any host with the writer
	// role) is mounted only strictly below one of these; DAXPOOL_AUTOMOUNT_AT's paths (this
	// host's own settings) anywhere.
	std::vector<std::string> prefixes = {"/srv", "/mnt", "/media"};
	std::vector<std::string> skip;              // POOL/IMAGE patterns (fnmatch(3))
	std::map<std::string, std::string> at;      // POOL/IMAGE -> this host's path
	static AutomountPolicy from_settings();
	// The steps of where(): does this host mount the pool's automount images at all, and this
	// one (false: WHY says which setting decided); this host's own path for it (AT); may a path
	// from the pool be mounted here (the prefixes; false: WHY).
	bool concerned(const std::string &pool, const std::string &image, std::string &why) const;
	std::optional<std::string> own_path(const std::string &pool, const std::string &image) const;
	bool allowed(const std::string &path, std::string &why) const;
	// Where this host mounts image IMAGE of pool POOL recorded with PATH ("" = not marked):
	// DAXPOOL_AUTOMOUNT_AT's path for it if any (marked or not), else PATH if allowed; "" when it
	// does not mount it, WHY then saying why (REFUSED: the prefixes refused the pool's path).
	std::string where(const std::string &pool, const std::string &image, const std::string &path,
			  std::string &why, bool *refused = nullptr) const;
};

} // namespace daxpool::pool
