// SPDX-License-Identifier: GPL-2.0-only
#include "lib/util/size.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace daxpool::util {

SizeParse parse_size_ex(std::string_view s)
{
	size_t digits = 0;
	while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0)
		return {};
	std::string suf;
	for (char c : s.substr(digits))
		suf += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	unsigned shift;
	if (suf.empty() || suf == "B")
		shift = 0;
	else {
		static constexpr std::string_view units = "KMGT";
		auto u = units.find(suf[0]);
		if (u == std::string_view::npos)
			return {};
		std::string_view rest = std::string_view(suf).substr(1);
		if (!rest.empty() && rest != "B" && rest != "IB")
			return {};
		shift = 10 * static_cast<unsigned>(u + 1);
	}
	// Well formed from here: what fails now is the magnitude.
	uint64_t n = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + digits, n);
	if (ec == std::errc::result_out_of_range || (shift && n > (UINT64_MAX >> shift)))
		return {SizeParse::TooLarge, 0};
	if (ec != std::errc() || end != s.data() + digits)
		return {};
	return {SizeParse::Ok, n << shift};
}

std::optional<uint64_t> parse_size(std::string_view s)
{
	SizeParse p = parse_size_ex(s);
	if (!p)
		return std::nullopt;
	return p.value;
}

std::string size_error(std::string_view flag, std::string_view value, const SizeParse &p)
{
	std::string s = std::string(flag) + " '" + std::string(value) + "': ";
	if (p.status == SizeParse::TooLarge)
		return s + "too large (at most " + std::to_string(UINT64_MAX) + " bytes, just under 16 EiB)";
	return s + "expected " + std::string(size_forms);
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
