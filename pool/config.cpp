// SPDX-License-Identifier: GPL-2.0-only
#include "pool/config.hpp"

#include <dirent.h>
#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "pool/automount.hpp"
#include "pool/error.hpp"

namespace daxpool::pool {

namespace {

// Every key daxpool reads from the files; anything else starting with DAXPOOL_ is reported (a
// misspelt setting should not be silently ignored).
constexpr const char *known_keys[] = {
	"DAXPOOL_LEASE_MS", "DAXPOOL_MARGIN_MS", "DAXPOOL_HEARTBEAT_MS", "DAXPOOL_CLAIM_SETTLE_MS",
	"DAXPOOL_AUTOMOUNT", "DAXPOOL_AUTOMOUNT_SKIP", "DAXPOOL_AUTOMOUNT_AT", "DAXPOOL_AUTOMOUNT_PREFIXES",
};

std::string trim(const std::string &s)
{
	size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
	return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

void read_file(const std::string &path, Config &c, bool must)
{
	std::ifstream in(path);
	if (!in) {
		if (errno == ENOENT && !must)
			return;
		c.warnings.push_back("cannot read " + path + ": " + std::strerror(errno));
		return;
	}
	c.files.push_back(path);
	std::string line;
	for (int n = 1; std::getline(in, line); n++) {
		std::string t = trim(line);
		if (t.empty() || t[0] == '#' || t[0] == ';')
			continue;
		size_t eq = t.find('=');
		std::string key = eq == std::string::npos ? t : trim(t.substr(0, eq));
		bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
			return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
		});
		if (eq == std::string::npos || !key_ok) {
			c.warnings.push_back(path + ":" + std::to_string(n) + ": not a KEY=VALUE line (skipped): " + t);
			continue;
		}
		std::string v = trim(t.substr(eq + 1));
		if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
			v = v.substr(1, v.size() - 2);
		if (key.rfind("DAXPOOL_", 0) == 0 &&
		    std::find_if(std::begin(known_keys), std::end(known_keys), [&](const char *k) { return key == k; }) ==
			    std::end(known_keys))
			c.unknown.push_back(path + ":" + std::to_string(n) + ": " + key);
		c.values[key] = v;
	}
}

std::vector<std::string> words(const std::string &s)
{
	std::vector<std::string> out;
	std::istringstream in(s);
	for (std::string w; in >> w;)
		out.push_back(w);
	return out;
}

} // namespace

Config read_config(const std::string &dir_in)
{
	std::string dir = dir_in;
	if (dir.empty()) {
		const char *d = std::getenv("DAXPOOL_CONF_DIR");
		dir = d && *d ? d : "/etc/daxpool";
	}
	Config c;
	read_file(dir + "/daxpool.conf", c, false);
	std::string dd = dir + "/daxpool.conf.d";
	std::vector<std::string> names;
	if (DIR *d = ::opendir(dd.c_str())) {
		while (struct dirent *e = ::readdir(d)) {
			std::string n = e->d_name;
			if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0 && n[0] != '.')
				names.push_back(n);
		}
		::closedir(d);
	} else if (errno != ENOENT && errno != ENOTDIR) {
		c.warnings.push_back("cannot read " + dd + ": " + std::strerror(errno));
	}
	std::sort(names.begin(), names.end());
	for (const auto &n : names)
		read_file(dd + "/" + n, c, true);
	return c;
}

const Config &host_config()
{
	static const Config c = read_config();
	return c;
}

std::optional<std::string> setting(const std::string &key)
{
	if (const char *v = std::getenv(key.c_str()); v && *v)
		return std::string(v);
	const Config &c = host_config();
	auto it = c.values.find(key);
	if (it == c.values.end() || it->second.empty())
		return std::nullopt;
	return it->second;
}

AutomountPolicy AutomountPolicy::from_settings()
{
	AutomountPolicy p;
	if (auto v = setting("DAXPOOL_AUTOMOUNT")) {
		if (*v == "no" || *v == "0" || *v == "false" || *v == "off")
			p.enabled = false;
		else if (!(*v == "yes" || *v == "1" || *v == "true" || *v == "on"))
			throw Error("DAXPOOL_AUTOMOUNT='" + *v + "' is neither yes nor no");
	}
	if (auto v = setting("DAXPOOL_AUTOMOUNT_PREFIXES")) {
		p.prefixes = words(*v);
		for (const auto &x : p.prefixes)
			if (auto why = check_automount_path(x); !why.empty())
				throw Error("DAXPOOL_AUTOMOUNT_PREFIXES: '" + x + "': " + why);
	}
	if (auto v = setting("DAXPOOL_AUTOMOUNT_SKIP"))
		p.skip = words(*v);
	if (auto v = setting("DAXPOOL_AUTOMOUNT_AT"))
		for (const auto &w : words(*v)) {
			size_t eq = w.find('=');
			if (eq == std::string::npos || w.find('/') > eq)
				throw Error("DAXPOOL_AUTOMOUNT_AT: '" + w + "' is not POOL/IMAGE=/PATH");
			std::string path = w.substr(eq + 1);
			if (auto why = check_automount_path(path); !why.empty())
				throw Error("DAXPOOL_AUTOMOUNT_AT: '" + w + "': " + why);
			p.at[w.substr(0, eq)] = path;
		}
	return p;
}

bool AutomountPolicy::concerned(const std::string &pool, const std::string &image, std::string &why) const
{
	if (!enabled) {
		why = "DAXPOOL_AUTOMOUNT=no on this host";
		return false;
	}
	const std::string key = pool + "/" + image;
	for (const auto &pat : skip)
		if (::fnmatch(pat.c_str(), key.c_str(), 0) == 0) {
			why = "DAXPOOL_AUTOMOUNT_SKIP matches it (" + pat + ")";
			return false;
		}
	return true;
}

std::optional<std::string> AutomountPolicy::own_path(const std::string &pool, const std::string &image) const
{
	auto it = at.find(pool + "/" + image);
	return it == at.end() ? std::nullopt : std::optional<std::string>(it->second);
}

// The pool's path was written by whichever host held the writer role: mounted only below the
// places this host set aside for it, never over /etc, /usr, /root, /run, ...
bool AutomountPolicy::allowed(const std::string &path, std::string &why) const
{
	for (const auto &pre : prefixes)
		if (path.size() > pre.size() + 1 && path.compare(0, pre.size(), pre) == 0 && path[pre.size()] == '/')
			return true;
	std::string list;
	for (const auto &pre : prefixes)
		list += (list.empty() ? "" : " ") + pre;
	why = "the pool's path " + path + " is not below this host's DAXPOOL_AUTOMOUNT_PREFIXES (" + list +
	      "): a path any host can write into the pool is not trusted elsewhere (DAXPOOL_AUTOMOUNT_AT sets "
	      "this host's own)";
	return false;
}

std::string AutomountPolicy::where(const std::string &pool, const std::string &image, const std::string &path,
				   std::string &why, bool *refused) const
{
	why.clear();
	if (refused)
		*refused = false;
	auto own = own_path(pool, image);
	if (path.empty() && !own)
		return {};
	if (!concerned(pool, image, why))
		return {};
	if (own)
		return *own;
	if (!allowed(path, why)) {
		if (refused)
			*refused = true;
		return {};
	}
	return path;
}

} // namespace daxpool::pool
