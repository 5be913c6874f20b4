// SPDX-License-Identifier: GPL-2.0-only
// daxpool build --oci / --tar LAYER...: the command's results, messages and exit statuses; inspect
// shows where an image came from.
#include <catch2/catch.hpp>

#include "tests/unit/oci_helpers.hpp"
#include "tests/unit/pool_helpers.hpp"

using test::run_cli;
using Catch::Contains;
using namespace ocitest;

namespace {

// A layout with two layers (plain, zstd) tagged "v1"; returns the manifest's digest.
std::string make_layout(const test::TempDir &d, const std::string &layout)
{
	{
		LayerWriter w(d / "1.tar", Comp::none);
		w.dir("./");
		w.file("a", "a\n");
		w.file("b", "b\n");
	}
	{
		LayerWriter w(d / "2.tar.zst", Comp::zstd);
		w.dir("./");
		w.whiteout(".wh.a");
		w.file("c", "c\n");
	}
	fs::create_directories(layout);
	std::string m = add_manifest(layout, {{d / "1.tar", Comp::none}, {d / "2.tar.zst", Comp::zstd}}, "v1");
	write_index(layout, {m});
	return digest_of(m);
}

} // namespace

TEST_CASE("cli: build --oci and --tar layers; inspect shows the source", "[oci][cli]")
{
	test::TempDir d;
	std::string layout = d / "layout", digest = make_layout(d, layout);

	test::Run r = run_cli({"build", "--oci", layout + ":v1", "-o", d / "oci.img"});
	INFO(r.err);
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("from OCI image " + digest + ", tag v1"));
	r = run_cli({"inspect", d / "oci.img"});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("source     OCI image " + digest + ", tag v1"));
	CHECK_THAT(r.out, Contains(" /c\n"));
	CHECK_THAT(r.out, !Contains(" /a\n"));
	r = run_cli({"inspect", d / "oci.img", "--json"});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains("\"oci_digest\": \"" + digest + "\""));
	CHECK_THAT(r.out, Contains("\"oci_ref\": \"v1\""));
	// The same layers as --tar: the same tree, no source.
	r = run_cli({"build", "--tar", d / "1.tar", d / "2.tar.zst", "-o", d / "tar.img"});
	REQUIRE(r.ok());
	r = run_cli({"inspect", d / "tar.img"});
	REQUIRE(r.ok());
	CHECK_THAT(r.out, Contains(" /c\n"));
	CHECK_THAT(r.out, !Contains(" /a\n"));
	CHECK_THAT(r.out, !Contains("source"));
	// Reproducible: the same bytes again.
	REQUIRE(run_cli({"build", "--oci", layout + ":v1", "-o", d / "oci2.img"}).ok());
	CHECK(test::read_file(d / "oci.img") == test::read_file(d / "oci2.img"));
}

TEST_CASE("cli: a bad layout is an error (status 1, nothing written); a bad command line, status 2", "[oci][cli]")
{
	test::TempDir d;
	std::string layout = d / "layout";
	make_layout(d, layout);
	fs::create_directories(d / "out");
	std::string out = d / "out/x.img";

	std::string blob = layout + "/blobs/sha256/" + sha256sum(d / "2.tar.zst");
	std::string bytes = test::read_file(blob);
	bytes[bytes.size() / 2] ^= 1;
	test::write_file(blob, bytes);
	test::Run r = run_cli({"build", "--oci", layout + ":v1", "-o", out});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("daxpool: error: ") && Contains("does not match its digest"));
	r = run_cli({"build", "--oci", layout + ":v2", "-o", out});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("no manifest tagged 'v2' (tags: v1)"));
	r = run_cli({"build", "--oci", d / "nowhere", "-o", out});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("no such directory"));
	CHECK(fs::is_empty(d / "out"));

	r = run_cli({"build", "--oci", layout, d / "1.tar", "-o", out});
	CHECK(r.status == 2);
	r = run_cli({"build", "--oci", layout, "--tar", "-o", out});
	CHECK(r.status == 2);
	r = run_cli({"build", d / "1.tar", d / "2.tar.zst", "-o", out});
	CHECK(r.status == 2);
	CHECK_THAT(r.err, Contains("add --tar"));
	r = run_cli({"build", "-o", out});
	CHECK(r.status == 2);
	CHECK_THAT(r.err, Contains("SRC or --oci"));
	r = run_cli({"build", d / "1.tar", "--tar", "--platform", "linux/amd64", "-o", out});
	CHECK(r.status == 2);
	CHECK_THAT(r.err, Contains("--platform requires --oci"));
	r = run_cli({"build", "--oci", layout + ":v1", "--platform", "linux/amd64", "-o", out});
	CHECK(r.status == 1);
	CHECK_THAT(r.err, Contains("is a single image, not an index of platforms"));
	CHECK(fs::is_empty(d / "out"));
}
