// SPDX-License-Identifier: GPL-2.0-only
#include <catch2/catch.hpp>

#include "lib/util/size.hpp"

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

TEST_CASE("sizes: formatting", "[size]")
{
	CHECK(format_size(0) == "0 B");
	CHECK(format_size(1023) == "1023 B");
	CHECK(format_size(1024) == "1.00 KiB");
	CHECK(format_size(4ull << 30) == "4.00 GiB");
	CHECK(format_size(3ull << 19) == "1.50 MiB");
}
