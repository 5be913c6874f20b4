// SPDX-License-Identifier: GPL-2.0-only
#include "lib/util/size.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace daxpool::util {

std::optional<uint64_t> parse_size(std::string_view s)
{
	uint64_t n = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
	if (ec != std::errc() || end == s.data())
		return std::nullopt;
	std::string suf;
	for (const char *p = end; p != s.data() + s.size(); ++p)
		suf += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
	unsigned shift;
	if (suf.empty() || suf == "B")
		shift = 0;
	else {
		static constexpr std::string_view units = "KMGT";
		auto u = units.find(suf[0]);
		if (u == std::string_view::npos)
			return std::nullopt;
		std::string_view rest = std::string_view(suf).substr(1);
		if (!rest.empty() && rest != "B" && rest != "IB")
			return std::nullopt;
		shift = 10 * static_cast<unsigned>(u + 1);
	}
	if (shift && n > (UINT64_MAX >> shift))
		return std::nullopt;
	return n << shift;
}

std::string format_size(uint64_t bytes)
{
	static constexpr std::array<const char *, 5> units = {"B", "KiB", "MiB", "GiB", "TiB"};
	if (bytes < 1024)
		return std::to_string(bytes) + " B";
	double v = static_cast<double>(bytes);
	size_t u = 0;
	while (v >= 1024 && u + 1 < units.size()) {
		v /= 1024;
		++u;
	}
	char buf[32];
	std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
	return buf;
}

} // namespace daxpool::util
