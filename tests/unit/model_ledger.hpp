// SPDX-License-Identifier: GPL-2.0-only
// What the hosts of the model test (model_host run) report to its driver, in a file that every
// process appends whole lines to (O_APPEND, one write each):
//
//   L id uuid digest name   a load that returned success (uuid, digest: hex)
//   U id force|plain        an unload about to be tried (written before it starts)
//   u id                    an unload that returned success
//   M id                    a mount recorded (record_mount returned)
//   R id                    a mount of this host found reclaimed after this host was paused
//   T pid                   pid entered the writer role over a holder paused since it entered
//   E pid ...               pid entered over a running holder that was not paused (simulator:
//                           allowed while their stores do not interleave), with its host table
//
// The promise checked from it: an image whose load returned success and that nobody tried to
// unload is in the catalog, SEALED, with that uuid and digest, and its bytes are that image,
// for the rest of the run.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace model {

inline void ledger_append(const std::string &path, const std::string &line)
{
	if (path.empty())
		return;
	int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	std::string l = line + "\n";
	(void)!::write(fd, l.data(), l.size());
	::close(fd);
}

struct Loaded {
	std::string uuid, digest, name;
};

struct Ledger {
	std::map<uint64_t, Loaded> loaded;
	std::set<uint64_t> unload_tried, unload_forced, reclaimed;
	unsigned loads = 0, unloads = 0, mounts = 0, takeovers = 0, stale_entries = 0;

	static Ledger read(const std::string &path)
	{
		Ledger g;
		std::ifstream f(path);
		std::string line;
		while (std::getline(f, line)) {
			std::istringstream s(line);
			char k = 0;
			uint64_t id = 0;
			if (!(s >> k >> id))
				continue; // a line being appended
			if (k == 'L') {
				Loaded l;
				if (s >> l.uuid >> l.digest >> l.name) {
					g.loaded[id] = l;
					g.loads++;
				}
			} else if (k == 'U') {
				std::string how;
				s >> how;
				g.unload_tried.insert(id);
				if (how == "force")
					g.unload_forced.insert(id);
			} else if (k == 'u') {
				g.unloads++;
			} else if (k == 'M') {
				g.mounts++;
			} else if (k == 'E') {
				g.stale_entries++;
			} else if (k == 'T') {
				g.takeovers++;
			} else if (k == 'R') {
				g.reclaimed.insert(id);
			}
		}
		return g;
	}
};

} // namespace model
