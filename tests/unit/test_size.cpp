// SPDX-License-Identifier: GPL-2.0-only
#include <catch2/catch.hpp>

#include "lib/util/size.hpp"
#include "lib/util/time.hpp"

using daxpool::util::format_size;
using daxpool::util::parse_size;

TEST_CASE("sizes: accepted forms", "[size]")
{
	CHECK(parse_size("0") == 0u);
	CHECK(parse_size("4096") == 4096u);
	CHECK(parse_size("4096B") == 4096u);
	CHECK(parse_size("512K") == 512u << 10);
	CHECK(parse_size("512M") == 512u << 20);
	CHECK(parse_size("512m") == 512u << 20);
	CHECK(parse_size("4G") == 4ull << 30);
	CHECK(parse_size("4GiB") == 4ull << 30);
	CHECK(parse_size("4gib") == 4ull << 30);
	CHECK(parse_size("4GB") == 4ull << 30);
	CHECK(parse_size("2T") == 2ull << 40);
}

TEST_CASE("sizes: rejected forms", "[size]")
{
	for (const char *bad : {"", "G", "-1", "4X", "4 G", "4GiBs", "4.5G", "0x10", "4Gi", "99999999999T",
				"18446744073709551616"})
		CHECK_FALSE(parse_size(bad).has_value());
}

TEST_CASE("sizes: too large is told apart from malformed", "[size]")
{
	using daxpool::util::parse_size_ex;
	using daxpool::util::SizeParse;
	CHECK(parse_size_ex("16383P").status == SizeParse::Invalid); // no P or E unit
	CHECK(parse_size_ex("16E").status == SizeParse::Invalid);
	for (const char *big : {"20000000T", "16777216T", "17179869184G", "18446744073709551616",
				"99999999999999999999999K", "99999999999T"})
		CHECK(parse_size_ex(big).status == SizeParse::TooLarge);
	CHECK(parse_size_ex("16777215T").value == 16777215ull << 40);
	CHECK(parse_size_ex("18446744073709551615").value == UINT64_MAX);
	for (const char *bad : {"", "G", "-1", "4X", "99999999999999999999X", "4.5G"})
		CHECK(parse_size_ex(bad).status == SizeParse::Invalid);
	CHECK(daxpool::util::size_error("--size", "20000000T", parse_size_ex("20000000T")).find("too large") !=
	      std::string::npos);
	CHECK(daxpool::util::size_error("--size", "4X", parse_size_ex("4X")).find("K, M, G or T") != std::string::npos);
}

TEST_CASE("sizes: formatting", "[size]")
{
	CHECK(format_size(0) == "0 B");
	CHECK(format_size(1023) == "1023 B");
	CHECK(format_size(1024) == "1.00 KiB");
	CHECK(format_size(4ull << 30) == "4.00 GiB");
	CHECK(format_size(3ull << 19) == "1.50 MiB");
}

TEST_CASE("format_utc: ISO 8601 in UTC, with nanoseconds when asked", "[util][time]")
{
	using daxpool::util::format_utc;
	CHECK(format_utc(0) == "1970-01-01T00:00:00Z");
	CHECK(format_utc(1796406848) == "2026-12-04T17:54:08Z");
	CHECK(format_utc(1796406848, 5) == "2026-12-04T17:54:08.000000005Z");
	CHECK(format_utc(-1) == "1969-12-31T23:59:59Z");
}
