// SPDX-License-Identifier: GPL-2.0-only
// Memory saved (docs/multihost.md, "Memory saved"): `daxpool status` counts, per sealed image,
// the distinct live hosts with a mounted record of it, and shows what private copies on each
// would cost beyond the one shared copy. Hosts are processes with their own DAXPOOL_MACHINE_ID
// (model_host, as in test_pool_hosts.cpp); the counting rules are also checked on the function
// itself (pending and unreadable records, expired and left hosts, images not sealed).
#include <catch2/catch.hpp>

#include <json-c/json.h>

#include <algorithm>

#include "lib/util/size.hpp"
#include "pool/create.hpp"
#include "pool/hosts.hpp"
#include "pool/pool.hpp"
#include "pool/sharing.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;
using Catch::Contains;
using test::run_cli;

namespace {

using Env = std::map<std::string, std::string>;

Env host(char c, unsigned lease_ms = 0)
{
	Env e{{"DAXPOOL_MACHINE_ID", std::string(32, c)},
	      {"DAXPOOL_BOOT_ID", std::string(31, '0') + "1"},
	      {"DAXPOOL_HOSTNAME", std::string("host") + c}};
	if (lease_ms) {
		e["DAXPOOL_LEASE_MS"] = std::to_string(lease_ms);
		e["DAXPOOL_MARGIN_MS"] = "100";
		e["DAXPOOL_HEARTBEAT_MS"] = std::to_string(lease_ms / 4);
	}
	return e;
}

void mount_as(const std::string &pool, const std::string &image, const std::string &mp, const Env &env)
{
	test::Run r = test::wait_cli(test::spawn_exe(MODEL_HOST_EXE, {"mount", pool, image, mp}, env));
	INFO(r.err);
	REQUIRE(r.ok());
}

struct JsonDoc {
	json_object *o;
	explicit JsonDoc(const std::string &s) : o(json_tokener_parse(s.c_str())) { REQUIRE(o); }
	~JsonDoc() { json_object_put(o); }
	JsonDoc(const JsonDoc &) = delete;
	JsonDoc &operator=(const JsonDoc &) = delete;
};

json_object *field(json_object *from, const char *key)
{
	json_object *v = nullptr;
	REQUIRE(json_object_object_get_ex(from, key, &v));
	return v;
}

json_object *image_of(const JsonDoc &doc, const std::string &name)
{
	json_object *a = field(doc.o, "images");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i);
		if (json_object_get_string(field(x, "name")) == name)
			return x;
	}
	return nullptr;
}

uint64_t u64(json_object *o, const char *key) { return json_object_get_uint64(field(o, key)); }
std::string str(json_object *o, const char *key) { return json_object_get_string(field(o, key)); }

// The strings of a JSON array, sorted (hosts are listed by slot; which slot a host claims is
// not this test's business).
std::vector<std::string> strings(json_object *arr)
{
	std::vector<std::string> out;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		out.push_back(json_object_get_string(json_object_array_get_idx(arr, i)));
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace

TEST_CASE("status: per image, the live hosts that mount it and the memory one shared copy saves", "[pool][sharing]")
{
	test::TempDir d;
	std::string pool = d / "p";
	create_file_pool({pool, 64 * MiB, "share", false});
	std::string web = test::make_image(d, "web", 3 * MiB + 12345, 1);
	std::string api = test::make_image(d, "api", 1 * MiB, 2);
	REQUIRE(run_cli({"load", web, "--pool", pool, "--name", "web"}).ok());
	REQUIRE(run_cli({"load", api, "--pool", pool, "--name", "api"}).ok());
	REQUIRE(run_cli({"load", api, "--pool", pool, "--name", "idle"}).ok());
	JsonDoc list(run_cli({"list", "--pool", pool, "--json"}).out);
	std::map<std::string, uint64_t> size;
	json_object *imgs = field(list.o, "images");
	for (size_t i = 0; i < json_object_array_length(imgs); i++)
		size[str(json_object_array_get_idx(imgs, i), "name")] = u64(json_object_array_get_idx(imgs, i), "size");
	REQUIRE(size.size() == 3);
	REQUIRE(size["web"] > 3 * MiB);

	// hosta and hostb mount web (hostb at two mount points: one host), hostc mounts api, hostd
	// mounts web with a 300 ms lease and never beats again: expired while status watches.
	mount_as(pool, "web", "/mnt/web", host('a'));
	mount_as(pool, "web", "/mnt/w1", host('b'));
	mount_as(pool, "web", "/srv/w2", host('b'));
	mount_as(pool, "api", "/mnt/api", host('c'));
	mount_as(pool, "web", "/mnt/web", host('d', 300));

	test::Run r = run_cli({"status", "--pool", pool, "--json", "--watch", "1000"});
	INFO(r.err);
	REQUIRE(r.ok());
	JsonDoc st(r.out);
	json_object *w = image_of(st, "web");
	REQUIRE(w);
	CHECK(u64(w, "size") == size["web"]);
	CHECK(u64(w, "mounted_hosts") == 2);
	CHECK(strings(field(w, "mounted_on")) == std::vector<std::string>{"hosta", "hostb"});
	CHECK(u64(w, "private_copies_size") == 2 * size["web"]);
	CHECK(u64(w, "saved_size") == size["web"]);
	json_object *a = image_of(st, "api");
	REQUIRE(a);
	CHECK(u64(a, "mounted_hosts") == 1);
	CHECK(strings(field(a, "mounted_on")) == std::vector<std::string>{"hostc"});
	CHECK(u64(a, "private_copies_size") == size["api"]);
	CHECK(u64(a, "saved_size") == 0);
	json_object *i = image_of(st, "idle");
	REQUIRE(i);
	CHECK(u64(i, "mounted_hosts") == 0);
	CHECK(u64(i, "private_copies_size") == 0);
	CHECK(u64(i, "saved_size") == 0);
	CHECK(u64(st.o, "saved_size") == size["web"]);

	// -u: the same numbers as ndctl-style human sizes, and JSON without --json.
	r = run_cli({"status", "--pool", pool, "-u", "--watch", "1000"});
	REQUIRE(r.ok());
	JsonDoc hu(r.out);
	w = image_of(hu, "web");
	REQUIRE(w);
	CHECK(str(w, "saved_size") == daxpool::util::format_size(size["web"]));
	CHECK(str(w, "private_copies_size") == daxpool::util::format_size(2 * size["web"]));
	CHECK(str(hu.o, "saved_size") == daxpool::util::format_size(size["web"]));

	// The text form.
	r = run_cli({"status", "--pool", pool, "--watch", "1000"});
	REQUIRE(r.ok());
	std::string fw = daxpool::util::format_size(size["web"]);
	CHECK_THAT(r.out, Contains("image 'web' (" + fw + "): mounted by 2 live host(s), one shared copy; private copies would cost " +
				   daxpool::util::format_size(2 * size["web"]) + ", saved " + fw) &&
				  Contains("image 'idle' (") && Contains("not mounted by a live host") &&
				  Contains("memory saved: " + fw));

	// A host that unmounts stops counting.
	JsonDoc again(run_cli({"status", "--pool", pool, "--json", "--watch", "0"}).out);
	REQUIRE(image_of(again, "web"));
	CHECK(u64(image_of(again, "web"), "mounted_hosts") == 3); // not watched: hostd is silent, counted
	test::Run m = test::wait_cli(test::spawn_exe(MODEL_HOST_EXE, {"forget", pool, std::to_string(u64(w, "id")), "/mnt/web"}, host('a')));
	REQUIRE(m.ok());
	JsonDoc after(run_cli({"status", "--pool", pool, "--json", "--watch", "1000"}).out);
	w = image_of(after, "web");
	REQUIRE(w);
	CHECK(u64(w, "mounted_hosts") == 1);
	CHECK(u64(w, "saved_size") == 0);
}

TEST_CASE("sharing: what counts: mounted records of live hosts, once per host, sealed images only", "[pool][sharing]")
{
	auto image = [](uint64_t id, const char *name, State st, uint64_t sz) {
		ImageInfo i;
		i.id = id;
		i.name = name;
		i.state = st;
		i.image_size = sz;
		return i;
	};
	auto mount = [](uint64_t id, MountState st) {
		MountInfo m;
		m.image_id = id;
		m.state = st;
		return m;
	};
	auto hostinfo = [](uint32_t slot, const char *name, Liveness l, std::vector<MountInfo> ms) {
		HostInfo h;
		h.slot = slot;
		h.hostname = name;
		h.liveness = l;
		h.mounts = std::move(ms);
		return h;
	};
	std::vector<ImageInfo> images = {image(7, "seven", State::Sealed, 1000), image(8, "eight", State::Writing, 500),
					 image(9, "nine", State::Retired, 700), image(10, "ten", State::Sealed, 3)};
	std::vector<HostInfo> hosts = {
		hostinfo(4, "late", Liveness::Beating, {mount(7, MountState::Mounted)}),
		hostinfo(1, "twice", Liveness::Silent, {mount(7, MountState::Mounted), mount(7, MountState::Mounted)}),
		hostinfo(2, "pending", Liveness::Beating, {mount(7, MountState::Pending), mount(10, MountState::Mounted)}),
		hostinfo(3, "expired", Liveness::Expired, {mount(7, MountState::Mounted)}),
		hostinfo(5, "left", Liveness::Left, {mount(7, MountState::Mounted)}),
	};
	hosts[2].unknown_mounts = {3}; // an unreadable record may list any image: not counted
	auto s = image_sharing(images, hosts);
	REQUIRE(s.size() == 2);
	CHECK(s[0].name == "seven");
	CHECK(s[0].hostnames == std::vector<std::string>{"twice", "late"});
	CHECK(s[0].mounted_hosts() == 2);
	CHECK(s[0].private_copies_size() == 2000);
	CHECK(s[0].saved_size() == 1000);
	CHECK(s[1].name == "ten");
	CHECK(s[1].mounted_hosts() == 1);
	CHECK(s[1].saved_size() == 0);
	CHECK(total_saved(s) == 1000);
	CHECK(image_sharing({}, hosts).empty());
	auto none = image_sharing(images, {});
	REQUIRE(none.size() == 2);
	CHECK(none[0].private_copies_size() == 0);
	CHECK(none[0].saved_size() == 0);
}
