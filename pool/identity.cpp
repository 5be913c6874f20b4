// SPDX-License-Identifier: GPL-2.0-only
#include "pool/identity.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

// This application's id for sd_id128_get_machine_app_specific(): fixed forever, since every
// host's identity in every pool derives from it.
constexpr sd_id128_t APP_ID = SD_ID128_MAKE(b8, e9, f2, 64, b2, 64, 42, db, 89, d3, 64, 5b, 15, cd, ab, f9);

// DAXPOOL_MACHINE_ID as given (tests, simulated hosts), else the application-specific hash of
// /etc/machine-id that systemd's sd_id128_get_machine_app_specific() computes (HMAC-SHA256
// keyed by the machine-id over APP_ID, truncated to 128 bits, made a v4 UUID): the raw
// machine-id must not leave the host (machine-id(5)), and pools are read by other hosts.
std::array<uint8_t, 16> host_id()
{
	if (const char *v = std::getenv("DAXPOOL_MACHINE_ID"); v && *v)
		return read_id("DAXPOOL_MACHINE_ID", "/etc/machine-id");
	sd_id128_t id;
	if (int rc = sd_id128_get_machine_app_specific(APP_ID, &id); rc < 0)
		throw Error(std::string("cannot derive this host's id from /etc/machine-id: ") + std::strerror(-rc) +
			    " (set DAXPOOL_MACHINE_ID to override)");
	std::array<uint8_t, 16> out;
	std::copy(std::begin(id.bytes), std::end(id.bytes), out.begin());
	return out;
}

} // namespace

const Identity &self()
{
	static const Identity id = [] {
		Identity i;
		i.host = host_id();
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
