// SPDX-License-Identifier: GPL-2.0-only
// The daxpool binary on file-backed pools: the user-facing paths, and every bad input giving a
// clear message, a non-zero exit and an unchanged pool.
#include <catch2/catch.hpp>

#include <json-c/json.h>

#include "tests/unit/pool_helpers.hpp"

using test::run_cli;
using Catch::Contains;

namespace {

struct JsonDoc {
	json_object *o;
	explicit JsonDoc(const std::string &s) : o(json_tokener_parse(s.c_str())) { REQUIRE(o); }
	~JsonDoc() { json_object_put(o); }
	json_object *get(json_object *from, const char *key) const
	{
		json_object *v = nullptr;
		REQUIRE(json_object_object_get_ex(from, key, &v));
		return v;
	}
};

// Runs args expecting failure with a message containing every needle, and the pool unchanged.
void refused(const std::string &pool, const std::vector<std::string> &args, std::initializer_list<const char *> needles)
{
	std::string before = test::pool_bytes(pool);
	test::Run r = run_cli(args);
	INFO("args: " << args[0] << " ...; stderr: " << r.err);
	CHECK(r.status != 0);
	CHECK(r.signal == 0);
	CHECK_THAT(r.err, Contains("daxpool: error: "));
	for (const char *n : needles)
		CHECK_THAT(r.err, Contains(n));
	CHECK((test::pool_bytes(pool) == before)); // (not printed: megabytes)
}

} // namespace

TEST_CASE("cli: create, load, list, unload, fsck on a file-backed pool", "[pool][cli]")
{
	test::TempDir d;
	std::string pool = d / "p.pool", img = test::make_image(d, "web", 2 * 1024 * 1024 + 5);
	test::Run r = run_cli({"create", "--file", pool, "--size", "32M", "--name", "lab"});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("created pool lab") && Contains("32.00 MiB"));
	r = run_cli({"load", img, "--pool", pool});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("as 'web'"));
	CHECK(r.err.empty()); // no progress bar without a TTY
	REQUIRE(run_cli({"load", img, "--pool", pool, "--name", "web2", "-q"}).ok());

	r = run_cli({"list", "--pool", pool, "--json"});
	REQUIRE(r.ok());
	{
		JsonDoc j(r.out);
		CHECK(std::string(json_object_get_string(j.get(j.o, "pool"))) == "lab");
		CHECK(json_object_get_uint64(j.get(j.o, "size")) == 32u << 20);
		CHECK(json_object_get_uint64(j.get(j.o, "available_size")) == 18u << 20);
		CHECK(json_object_get_uint64(j.get(j.o, "max_available_extent")) == 18u << 20);
		json_object *imgs = j.get(j.o, "images");
		REQUIRE(json_object_array_length(imgs) == 2);
		json_object *first = json_object_array_get_idx(imgs, 0);
		CHECK(std::string(json_object_get_string(j.get(first, "name"))) == "web");
		CHECK(std::string(json_object_get_string(j.get(first, "state"))) == "sealed");
		CHECK(json_object_get_uint64(j.get(first, "offset")) == 2u << 20);
		CHECK(std::string(json_object_get_string(j.get(first, "digest"))).rfind("xxh3-128:", 0) == 0);
	}
	r = run_cli({"list", "--pool", pool, "--json", "-u"});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("\"size\": \"32.00 MiB\""));
	r = run_cli({"list", "--pool", pool});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("web2") && Contains("sealed") && Contains("fragmentation 0%"));

	r = run_cli({"fsck", "--pool", pool});
	CHECK(r.ok());
	CHECK_THAT(r.out, Contains("clean, 2 sealed image(s) checked"));

	r = run_cli({"unload", "web", "--pool", pool});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("unloaded 'web'"));
	r = run_cli({"list", "--pool", pool, "--json"});
	JsonDoc j(r.out);
	CHECK(json_object_array_length(j.get(j.o, "images")) == 1);
	CHECK(json_object_get_uint64(j.get(j.o, "fragmentation_percent")) > 0);
	CHECK(run_cli({"fsck", "--pool", pool}).ok());
	// The image fsck of the format library still works as before.
	CHECK(run_cli({"fsck", img}).ok());
}

TEST_CASE("cli: bad inputs are refused clearly and leave the pool unchanged", "[pool][cli]")
{
	test::TempDir d;
	std::string pool = d / "p.pool", img = test::make_image(d, "a", 3 * 1024 * 1024);
	REQUIRE(run_cli({"create", "--file", pool, "--size", "12M"}).ok());
	REQUIRE(run_cli({"load", img, "--pool", pool}).ok()); // 6 of 10 MiB used

	refused(pool, {"load", d / "missing.img", "--pool", pool}, {"missing.img", "No such file"});
	test::write_file(d / "junk.img", std::string(20000, 'j'));
	refused(pool, {"load", d / "junk.img", "--pool", pool}, {"junk.img", "is not a valid daxfs image"});
	std::string corrupt = test::read_file(img);
	corrupt[corrupt.size() / 2] ^= 0x40; // inside file data: only the digest can tell
	test::write_file(d / "corrupt.img", corrupt);
	refused(pool, {"load", d / "corrupt.img", "--pool", pool}, {"not a valid daxfs image", "digest mismatch"});
	refused(pool, {"load", img, "--pool", pool}, {"already has an image named 'a'", "--name"});
	refused(pool, {"load", img, "--pool", pool, "--name", "b"}, {"is full", "6.00 MiB"});
	refused(pool, {"load", img, "--pool", pool, "--name", "bad/name"}, {"--name 'bad/name'", "not a valid image name"});
	{
		std::string before = test::pool_bytes(pool);
		test::Run r = run_cli({"load", img, "--pool", pool, "--region", "0"});
		CHECK(r.status != 0);
		CHECK_THAT(r.err, Contains("--pool excludes --region"));
		CHECK((test::pool_bytes(pool) == before));
	}
	refused(pool, {"unload", "nope", "--pool", pool}, {"has no image named 'nope'"});
	refused(pool, {"load", img}, {"no pool given"});
	refused(pool, {"load", img, "--region", "0"}, {"region 0 has no devdax or fsdax device"});
	refused(pool, {"create", "--file", pool, "--size", "12M"}, {"holds a daxpool pool", "--force"});

	// Not a pool: the "pool" (an image here) is unchanged too.
	refused(img, {"load", img, "--pool", img, "--name", "x"}, {"is not a daxpool pool"});
	refused(img, {"list", "--pool", img}, {"is not a daxpool pool"});
	refused(img, {"fsck", "--pool", img}, {"is not a daxpool pool"});
	refused(img, {"create", "--file", img, "--size", "8M"}, {"holds a daxfs image"});

	// Sizes: the flag, the string and the accepted forms are named; nothing is created.
	for (const char *bad : {"4X", "", "-1", "4.5G", "G"}) {
		test::Run r = run_cli({"create", "--file", d / "new.pool", "--size", bad});
		CHECK(r.status != 0);
		CHECK_THAT(r.err, Contains(std::string("--size '") + bad + "'") && Contains("K, M, G or T"));
		CHECK_FALSE(test::fs::exists(d / "new.pool"));
	}
	for (const char *big : {"20000000T", "18446744073709551616"}) {
		test::Run r = run_cli({"create", "--file", d / "new.pool", "--size", big});
		CHECK(r.status == 1);
		CHECK_THAT(r.err, Contains(std::string("--size '") + big + "': too large"));
		CHECK_FALSE(test::fs::exists(d / "new.pool"));
	}
	test::Run r = run_cli({"create", "--file", d / "new.pool", "--size", "5M"});
	CHECK(r.status != 0);
	CHECK_THAT(r.err, Contains("multiple of 2 MiB") && Contains("4.00 MiB") && Contains("6.00 MiB"));
	r = run_cli({"create", "--file", d / "new.pool", "--size", "2M"});
	CHECK_THAT(r.err, Contains("at least 4.00 MiB"));
	CHECK_FALSE(test::fs::exists(d / "new.pool"));
	// Accepted spellings.
	for (const char *good : {"4194304", "4M", "4MiB", "4m"}) {
		CHECK(run_cli({"create", "--file", d / "new.pool", "--size", good, "--force"}).ok());
		CHECK(test::fs::file_size(d / "new.pool") == 4u << 20);
	}
	CHECK(run_cli({"fsck", "--pool", pool}).ok());
}

TEST_CASE("cli: create refuses to overwrite filesystems and data without --force", "[pool][cli]")
{
	test::TempDir d;
	auto mk = [&](const std::string &name, const std::string &cmd) {
		std::string f = d / name;
		{
			std::string zeros(16 << 20, '\0');
			test::write_file(f, zeros);
		}
		REQUIRE(std::system((cmd + " " + f + " >/dev/null 2>&1").c_str()) == 0);
		return f;
	};
	struct Case {
		std::string file, needle;
	};
	std::vector<Case> cases = {
		{mk("ext4", "/usr/sbin/mkfs.ext4 -q -F"), "ext4 filesystem"},
		{mk("swap", "/usr/sbin/mkswap"), "swap area"},
	};
	test::fs::create_directories(d.path() / "erofs-src");
	test::write_file(d / "erofs-src/f", "x");
	std::string erofs = d / "erofs";
	REQUIRE(std::system(("mkfs.erofs " + erofs + " " + (d / "erofs-src") + " >/dev/null 2>&1").c_str()) == 0);
	cases.push_back({erofs, "erofs filesystem"});
	test::write_file(d / "text", "precious data\n");
	cases.push_back({d / "text", "exists and is not empty"});
	for (const auto &c : cases) {
		refused(c.file, {"create", "--file", c.file, "--size", "8M"}, {c.needle.c_str(), "--force"});
		CHECK(run_cli({"create", "--file", c.file, "--size", "8M", "--force"}).ok());
		CHECK(run_cli({"fsck", "--pool", c.file}).ok());
	}
}

TEST_CASE("cli: command-line errors exit 2 with the error prefix; --help and --version exit 0", "[pool][cli]")
{
	for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
		     {"load", "--pool", "/nonexistent"}, // IMAGE missing
		     {"create", "--file", "/nonexistent/p"}, // --size missing
		     {"frobnicate"},
		     {},
		     {"list", "--no-such-flag"}}) {
		test::Run r = run_cli(args);
		INFO("args: " << (args.empty() ? "" : args[0]) << "; stderr: " << r.err);
		CHECK(r.status == 2);
		CHECK(r.err.rfind("daxpool: error: ", 0) == 0);
		CHECK_THAT(r.err, Contains("--help"));
		CHECK(r.out.empty());
	}
	test::Run r = run_cli({"load", "--pool", "/nonexistent"});
	CHECK_THAT(r.err, Contains("IMAGE"));
	r = run_cli({"--help"});
	CHECK(r.status == 0);
	CHECK_THAT(r.out, Contains("load"));
	r = run_cli({"load", "--help"});
	CHECK(r.status == 0);
	CHECK_THAT(r.out, Contains("IMAGE"));
	r = run_cli({"--version"});
	CHECK(r.status == 0);
	CHECK_FALSE(r.out.empty());
}

TEST_CASE("cli: device commands refuse a user who is not root", "[pool][cli]")
{
	// As root (CI), drop to nobody's ids; as another user, that user is already not root.
	std::map<std::string, std::string> env;
	if (::geteuid() == 0)
		env["@uid"] = "65534";
	struct Case {
		std::vector<std::string> args;
		const char *needle;
	} cases[] = {
		{{"create", "--size", "1G"}, "create needs root"},
		{{"attach"}, "attach needs root"},
		{{"destroy", "--region", "0"}, "destroy needs root"},
		{{"mount", "img", "/tmp", "--region", "0"}, "mount needs root"},
		{{"umount", "/tmp"}, "umount needs root"},
	};
	for (const auto &c : cases) {
		test::Run r = run_cli(c.args, env);
		INFO(c.args[0] << ": " << r.err);
		CHECK(r.status == 1);
		CHECK_THAT(r.err, Contains(c.needle));
	}
}

TEST_CASE("cli: a load interrupted by SIGINT or SIGTERM frees its extent and says so", "[pool][cli]")
{
	test::TempDir d;
	std::string pool = d / "p";
	std::string img = test::make_image(d, "big", 9 * 1024 * 1024); // five 2 MiB chunks
	REQUIRE(run_cli({"create", "--file", pool, "--size", "32M", "--name", "sig"}).ok());
	for (const char *sig : {"INT", "TERM"}) {
		// The signal arrives while the first chunk is being copied (a fault point after it).
		test::Run r = run_cli({"load", img, "--pool", pool, "--name", "big"},
				      {{"DAXPOOL_FAULT", std::string("load.copy:1:") + sig}});
		INFO(sig << ": " << r.err);
		CHECK(r.signal == 0);
		CHECK(r.status == 1);
		CHECK_THAT(r.err, Contains("interrupted") && Contains("was not loaded") && Contains("free again"));
		test::Run l = run_cli({"list", "--pool", pool, "--json"});
		REQUIRE(l.ok());
		CHECK_THAT(l.out, !Contains("\"big\""));
		test::Run f = run_cli({"fsck", "--pool", pool});
		CHECK(f.ok());
	}
	CHECK(run_cli({"load", img, "--pool", pool, "--name", "big"}).ok()); // the space is there
}
