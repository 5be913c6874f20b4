// SPDX-License-Identifier: GPL-2.0-only
#include "pool/identity.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "pool/error.hpp"
#include "lib/util/hex.hpp"

namespace daxpool::pool {

namespace {

std::optional<std::array<uint8_t, 16>> parse_hex_id(std::string s)
{
	std::string h;
	for (char c : s)
		if (c != '-' && c != '\n' && c != ' ')
			h += c;
	if (h.size() != 32)
		return std::nullopt;
	std::array<uint8_t, 16> out{};
	for (size_t i = 0; i < 16; i++) {
		int a = util::hex_nibble(h[2 * i]), b = util::hex_nibble(h[2 * i + 1]);
		if (a < 0 || b < 0)
			return std::nullopt;
		out[i] = static_cast<uint8_t>(a << 4 | b);
	}
	return out;
}

std::array<uint8_t, 16> read_id(const char *env, const char *path)
{
	std::string s;
	if (const char *v = std::getenv(env); v && *v)
		s = v;
	else {
		std::ifstream f(path);
		std::getline(f, s);
		if (!f && s.empty())
			throw Error(std::string("cannot read ") + path + " (set " + env + " to override)");
	}
	auto id = parse_hex_id(s);
	if (!id)
		throw Error(std::string(path) + " (or " + env + ") does not hold a 128-bit hex id: '" + s + "'");
	return *id;
}

} // namespace

const Identity &self()
{
	static const Identity id = [] {
		Identity i;
		i.host = read_id("DAXPOOL_MACHINE_ID", "/etc/machine-id");
		i.boot = read_id("DAXPOOL_BOOT_ID", "/proc/sys/kernel/random/boot_id");
		i.pid = static_cast<uint32_t>(::getpid());
		if (const char *h = std::getenv("DAXPOOL_HOSTNAME"); h && *h)
			i.hostname = h;
		else {
			char buf[256] = {};
			if (::gethostname(buf, sizeof buf - 1) == 0)
				i.hostname = buf;
		}
		return i;
	}();
	return id;
}

uint64_t random_nonce()
{
	uint64_t v = 0;
	while (v == 0)
		if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v))
			throw Error("getrandom failed");
	return v;
}

} // namespace daxpool::pool
