// SPDX-License-Identifier: GPL-2.0-only
// The daxpool command line against its documentation and against ndctl / cxl-cli's conventions:
// every --json output a file-backed pool (and a host without CXL) can produce, checked against the
// schemas in docs/json.md; fsck's exit statuses (fsck(8)); the host id (an application-specific
// hash of /etc/machine-id); load's progress on a terminal; a table of flags and JSON keys with
// their ndctl / cxl-cli counterparts; README's "Using it" command lines.
#include <catch2/catch.hpp>

#include <pty.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include <cstring>
#include <regex>
#include <set>
#include <sstream>

#include "pool/layout.hpp"
#include "tests/unit/oci_helpers.hpp"
#include "tests/unit/pool_helpers.hpp"

using Catch::Contains;
using test::run_cli;

namespace {

using Env = std::map<std::string, std::string>;

std::string source_file(const std::string &rel) { return test::read_file(std::string(DAXPOOL_SOURCE_ROOT) + "/" + rel); }

// ---- docs/json.md ---------------------------------------------------------------------------

struct Field {
	std::string type; // "string", "integer", "size", "[image]", "writer|null", ...
	bool always = false;
};
using Schema = std::map<std::string, Field>;

// Every "<!-- schema: NAME -->" table of docs/json.md: | `key` | type | when | meaning |.
std::map<std::string, Schema> read_schemas()
{
	std::map<std::string, Schema> out;
	std::istringstream in(source_file("docs/json.md"));
	std::string line, current;
	static const std::regex marker(R"(<!-- schema: (\w+) -->)");
	static const std::regex row(R"(^\| `(\w+)` \| ([^|\\]+(?:\\\|[^|\\]+)*) \| ([^|]+) \|)");
	std::smatch m;
	while (std::getline(in, line)) {
		if (std::regex_search(line, m, marker)) {
			current = m[1];
			out[current];
			continue;
		}
		if (line.empty() || line[0] != '|')
			current = line.empty() ? current : std::string();
		if (!current.empty() && std::regex_search(line, m, row)) {
			std::string type = m[2];
			for (size_t p; (p = type.find("\\|")) != std::string::npos;)
				type.replace(p, 2, "|");
			out[current][m[1]] = {type, m[3] == "always"};
		}
	}
	return out;
}

struct Checker {
	std::map<std::string, Schema> schemas = read_schemas();
	bool human = false;
	std::set<std::string> seen; // schemas checked against a real object
	std::vector<std::string> errors;

	static const char *kind(json_object *v)
	{
		switch (json_object_get_type(v)) {
		case json_type_null: return "null";
		case json_type_boolean: return "boolean";
		case json_type_int: return "integer";
		case json_type_double: return "double";
		case json_type_string: return "string";
		case json_type_object: return "object";
		case json_type_array: return "array";
		}
		return "?";
	}

	// Whether V is of TYPE; errors name PATH.
	bool matches(json_object *v, const std::string &type, const std::string &path)
	{
		if (auto bar = type.find('|'); bar != std::string::npos) {
			size_t before = errors.size();
			if (matches(v, type.substr(0, bar), path))
				return true;
			errors.resize(before); // the first alternative's complaints do not count
			return matches(v, type.substr(bar + 1), path);
		}
		std::string k = kind(v);
		if (type == "string" || type == "integer" || type == "boolean" || type == "null")
			return k == type;
		if (type == "size") {
			if (!human)
				return k == "integer";
			static const std::regex h(R"(^[0-9]+(\.[0-9]{2})? (B|KiB|MiB|GiB|TiB|PiB|EiB)$)");
			return k == "string" && std::regex_match(std::string(json_object_get_string(v)), h);
		}
		if (type.size() > 2 && type.front() == '[' && type.back() == ']') {
			if (k != "array")
				return false;
			bool ok = true;
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				std::string p = path + "[" + std::to_string(i) + "]";
				json_object *e = json_object_array_get_idx(v, i);
				if (!matches(e, type.substr(1, type.size() - 2), p)) {
					errors.push_back(p + ": " + kind(e) + ", documented as " + type.substr(1, type.size() - 2));
					ok = false;
				}
			}
			return ok;
		}
		if (!schemas.count(type)) {
			errors.push_back(path + ": docs/json.md names no schema or type '" + type + "'");
			return false;
		}
		if (k != "object")
			return false;
		object(v, type, path);
		return true;
	}

	void object(json_object *o, const std::string &name, const std::string &path)
	{
		const Schema &s = schemas.at(name);
		seen.insert(name);
		json_object_object_foreach(o, key, val) {
			auto it = s.find(key);
			if (it == s.end()) {
				errors.push_back(path + "." + key + ": not documented in schema " + name);
				continue;
			}
			if (!matches(val, it->second.type, path + "." + key))
				errors.push_back(path + "." + key + ": " + kind(val) + ", documented as " + it->second.type +
						 (human ? " (with -u)" : ""));
		}
		for (const auto &[key, f] : s)
			if (f.always && !json_object_object_get_ex(o, key.c_str(), nullptr))
				errors.push_back(path + "." + key + ": missing, documented as always present in " + name);
	}

	// Checks the stdout of a --json command against TYPE (a schema or [schema]).
	void check(const std::string &what, const test::Run &r, const std::string &type, bool human_sizes = false)
	{
		INFO(what << ": " << r.err);
		json_object *doc = json_tokener_parse(r.out.c_str());
		REQUIRE(doc);
		human = human_sizes;
		size_t before = errors.size();
		if (!matches(doc, type, what))
			errors.push_back(what + ": " + kind(doc) + ", documented as " + type);
		json_object_put(doc);
		for (size_t i = before; i < errors.size(); i++)
			FAIL_CHECK(errors[i]);
	}
};

json_object *get(json_object *o, const char *key)
{
	json_object *v = nullptr;
	json_object_object_get_ex(o, key, &v);
	return v;
}

// A host of the multi-host tests (tests/unit/hosts_fixture.hpp): id cccc..., hostname host<c>.
Env host(char c)
{
	return {{"DAXPOOL_MACHINE_ID", std::string(32, c)},
		{"DAXPOOL_BOOT_ID", std::string(31, '0') + "1"},
		{"DAXPOOL_HOSTNAME", std::string("host") + c}};
}

void poke(const std::string &path, uint64_t off, const std::string &bytes)
{
	std::string all = test::read_file(path);
	all.replace(off, bytes.size(), bytes);
	test::write_file(path, all);
}

} // namespace

TEST_CASE("json: every --json output matches its schema in docs/json.md", "[cli][json]")
{
	Checker c;
	REQUIRE(c.schemas.size() >= 15);
	REQUIRE(c.schemas.at("pool").size() >= 10);
	test::TempDir d;
	std::string pool = d / "p.pool", img = test::make_image(d, "web", 2 * 1024 * 1024 + 5);

	test::Run r = run_cli({"create", "--file", pool, "--size", "32M", "--name", "lab", "--json"});
	REQUIRE(r.ok());
	c.check("create --file --json", r, "pool");
	r = run_cli({"create", "--file", d / "h.pool", "--size", "8M", "-j", "-u"});
	REQUIRE(r.ok());
	c.check("create --file --json -u", r, "pool", true);

	r = run_cli({"load", img, "--pool", pool, "--json"});
	REQUIRE(r.ok());
	c.check("load --json", r, "image");
	r = run_cli({"load", img, "--pool", pool, "--name", "web2", "-j", "-u", "--automount", "/srv/web2"});
	REQUIRE(r.ok());
	c.check("load --json -u --automount", r, "image", true);
	CHECK_THAT(r.out, Contains("\"automount\": \"/srv/web2\""));
	r = run_cli({"automount", "web2", "--clear", "--pool", pool, "--json"});
	REQUIRE(r.ok());
	c.check("automount --clear --json", r, "image");
	// An interrupted load: a WRITING entry, shown by --all.
	r = run_cli({"load", img, "--pool", pool, "--name", "cut"}, {{"DAXPOOL_FAULT", "load.copy:1"}});
	REQUIRE(r.signal == SIGKILL);

	r = run_cli({"list", "--pool", pool, "--json", "--all"});
	REQUIRE(r.ok());
	c.check("list --pool --json --all", r, "pool");
	CHECK_THAT(r.out, Contains("\"writing\""));
	r = run_cli({"list", "--pool", pool, "-u"}); // -u implies --json, as ndctl list -u
	REQUIRE(r.ok());
	c.check("list --pool -u", r, "pool", true);

	// status: a host with its slot, another in the writer role (stopped in the middle of a load).
	REQUIRE(run_cli({"agent", "--pool", pool, "--once"}, host('a')).ok());
	test::Child b = test::spawn_exe(MODEL_HOST_EXE, {"load-stop", pool, img, "slow"}, host('b'));
	int st = 0;
	REQUIRE(::waitpid(b.pid, &st, WUNTRACED) == b.pid);
	REQUIRE(WIFSTOPPED(st));
	r = run_cli({"status", "--pool", pool, "--json"});
	::kill(b.pid, SIGKILL);
	test::wait_cli(b);
	REQUIRE(r.ok());
	c.check("status --json", r, "status");
	{
		json_object *doc = json_tokener_parse(r.out.c_str());
		CHECK(json_object_get_type(get(doc, "writer")) == json_type_object);
		json_object_put(doc);
	}
	// status with a mount recorded (a shared_image with a host), and -u (human sizes, JSON).
	REQUIRE(test::wait_cli(test::spawn_exe(MODEL_HOST_EXE, {"mount", pool, "web", "/mnt/web"}, host('a'))).ok());
	r = run_cli({"status", "--pool", pool, "-u", "--watch", "0"});
	REQUIRE(r.ok());
	c.check("status -u", r, "status", true);
	CHECK_THAT(r.out, Contains("\"mounted_hosts\": 1") && Contains("\"mounted_on\": [") && Contains("\"saved_size\": \"0 B\""));

	r = run_cli({"fsck", "--pool", pool, "--json"});
	c.check("fsck --pool --json", r, "fsck_pool");
	r = run_cli({"fsck", img, "--json"});
	REQUIRE(r.ok());
	c.check("fsck IMAGE --json", r, "fsck_image");
	std::string bad = test::read_file(img);
	bad[bad.size() / 2] ^= 1;
	test::write_file(d / "bad.img", bad);
	r = run_cli({"fsck", d / "bad.img", "--json"});
	CHECK(r.status == 4);
	c.check("fsck BAD-IMAGE --json", r, "fsck_image");

	r = run_cli({"inspect", img, "--json"});
	REQUIRE(r.ok());
	c.check("inspect --json", r, "inspect");
	r = run_cli({"inspect", img, "/sub", "--json"});
	REQUIRE(r.ok());
	c.check("inspect PATH --json", r, "inode");
	{ // an image built from an OCI layout: its source keys
		std::string layout = d / "layout";
		{
			ocitest::LayerWriter w(d / "layer.tar", ocitest::Comp::gzip);
			w.dir("./");
			w.file("f", "f\n");
		}
		std::filesystem::create_directories(layout);
		ocitest::write_index(layout, {ocitest::add_manifest(layout, {{d / "layer.tar", ocitest::Comp::gzip}}, "t")});
		REQUIRE(run_cli({"build", "--oci", layout, "-o", d / "oci.img"}).ok());
		r = run_cli({"inspect", d / "oci.img", "--json"});
		REQUIRE(r.ok());
		c.check("inspect --json (from OCI)", r, "inspect");
		CHECK_THAT(r.out, Contains("\"oci_digest\"") && Contains("\"oci_ref\": \"t\""));
	}

	// A damaged superblock: a finding.
	poke(pool, daxpool::pool::BACKUP_SB_OFF + 60, "garbage");
	r = run_cli({"fsck", "--pool", pool, "--json"});
	CHECK(r.status == 4);
	c.check("fsck --pool --json (damaged)", r, "fsck_pool");
	r = run_cli({"list", "--pool", pool, "--json"});
	c.check("list --pool --json (damaged)", r, "pool");

	// No pool: what this host sees (no CXL or NVDIMM here: empty lists, still the schema).
	r = run_cli({"list", "--json"});
	REQUIRE(r.ok());
	c.check("list --json", r, "topology");
	r = run_cli({"topology", "-u"});
	REQUIRE(r.ok());
	c.check("topology -u", r, "topology", true);

	// Every schema was checked against a real object, but those that need CXL / NVDIMM
	// hardware or a daxfs mount (the guest scenarios check their keys: tests/qemu-cxl).
	const std::set<std::string> need_hardware = {"device", "mount", "memdev", "decoder", "cxl_region",
						     "namespace", "mount_record", "xattr", "automount"};
	for (const auto &[name, s] : c.schemas)
		if (!need_hardware.count(name)) {
			INFO("schema " << name);
			CHECK(c.seen.count(name));
		}
}

TEST_CASE("fsck: exit statuses follow fsck(8)", "[cli][fsck]")
{
	test::TempDir d;
	std::string pool = d / "p.pool", img = test::make_image(d, "a", 1024 * 1024);
	REQUIRE(run_cli({"create", "--file", pool, "--size", "8M"}).ok());
	REQUIRE(run_cli({"load", img, "--pool", pool}).ok());
	// 0: clean (pool and image).
	CHECK(run_cli({"fsck", "--pool", pool}).status == 0);
	CHECK(run_cli({"fsck", img}).status == 0);
	// 4: errors left uncorrected (no --repair).
	poke(pool, daxpool::pool::BACKUP_SB_OFF + 60, "garbage");
	test::Run r = run_cli({"fsck", "--pool", pool});
	CHECK(r.status == 4);
	CHECK_THAT(r.err, Contains("1 problem(s); run with --repair"));
	// 1: errors corrected (--repair fixed everything); then clean again.
	r = run_cli({"fsck", "--pool", pool, "--repair"});
	CHECK(r.status == 1);
	CHECK(r.err.empty());
	CHECK(run_cli({"fsck", "--pool", pool}).status == 0);
	// 4: a damaged image (images are not repaired).
	std::string bad = test::read_file(img);
	bad[bad.size() / 2] ^= 1;
	test::write_file(d / "bad.img", bad);
	CHECK(run_cli({"fsck", d / "bad.img"}).status == 4);
	// 8: operational errors: nothing to read, not a pool.
	r = run_cli({"fsck", d / "missing.img"});
	CHECK(r.status == 8);
	CHECK_THAT(r.err, Contains("missing.img"));
	CHECK(run_cli({"fsck", "--pool", d / "missing.pool"}).status == 8);
	CHECK(run_cli({"fsck", "--pool", img}).status == 8);
	// 16: usage errors.
	CHECK(run_cli({"fsck"}).status == 16);
	CHECK(run_cli({"fsck", img, "--pool", pool}).status == 16);
	CHECK(run_cli({"fsck", img, "--repair"}).status == 16);
	CHECK(run_cli({"fsck", "--no-such-flag"}).status == 16);
	// Other commands keep 2 for usage errors.
	CHECK(run_cli({"list", "--no-such-flag"}).status == 2);
	// Both are documented in --help.
	CHECK_THAT(run_cli({"fsck", "--help"}).out, Contains("4 errors left uncorrected") && Contains("8 operational"));
	CHECK_THAT(run_cli({"list", "--help"}).out, Contains("Exit status: 0 success, 1 error, 2"));
}

TEST_CASE("identity: the host id in a pool is an application-specific hash of /etc/machine-id", "[cli][identity]")
{
	std::string raw = test::read_file("/etc/machine-id");
	raw.erase(raw.find_last_not_of("\n ") + 1);
	if (raw.size() != 32) {
		WARN("no /etc/machine-id on this host: skipped");
		return;
	}
	// The same construction computed independently (Python's hmac): HMAC-SHA256 keyed by the
	// machine-id over daxpool's application id, first 128 bits, version 4 / RFC 4122 variant.
	const std::string app = "b8e9f264b26442db89d3645b15cdabf9"; // pool/identity.cpp, APP_ID
	std::string py = "python3 -c \"import hmac,hashlib;h=bytearray(hmac.new(bytes.fromhex('" + raw +
			 "'),bytes.fromhex('" + app +
			 "'),hashlib.sha256).digest()[:16]);h[6]=h[6]&15|64;h[8]=h[8]&63|128;print(h.hex())\"";
	std::string want;
	{
		FILE *f = ::popen(py.c_str(), "r");
		REQUIRE(f);
		char buf[64] = {};
		if (std::fgets(buf, sizeof buf, f))
			want = buf;
		::pclose(f);
		want.erase(want.find_last_not_of("\n") + 1);
	}
	REQUIRE(want.size() == 32);

	test::TempDir d;
	std::string pool = d / "p.pool";
	REQUIRE(run_cli({"create", "--file", pool, "--size", "8M"}).ok());
	const Env real = {{"DAXPOOL_MACHINE_ID", ""}}; // the real id (an empty override is none)
	auto status_id = [&] {
		REQUIRE(run_cli({"agent", "--pool", pool, "--once"}, real).ok());
		test::Run r = run_cli({"status", "--pool", pool, "--json"}, real);
		REQUIRE(r.ok());
		json_object *doc = json_tokener_parse(r.out.c_str());
		REQUIRE(doc);
		json_object *hosts = get(doc, "hosts");
		REQUIRE(json_object_array_length(hosts) == 1);
		std::string id = json_object_get_string(get(json_object_array_get_idx(hosts, 0), "machine_id"));
		json_object_put(doc);
		return id;
	};
	std::string first = status_id();
	CHECK(first == want);
	CHECK(first != raw);
	CHECK(status_id() == first); // stable: the same slot, the same id
	// Nor is the raw id anywhere in the pool's bytes.
	std::string bytes = test::read_file(pool), raw_bin;
	for (size_t i = 0; i < 32; i += 2)
		raw_bin.push_back(static_cast<char>(std::stoi(raw.substr(i, 2), nullptr, 16)));
	CHECK(bytes.find(raw_bin) == std::string::npos);
	// DAXPOOL_MACHINE_ID is used as given.
	REQUIRE(run_cli({"agent", "--pool", pool, "--once"}, host('c')).ok());
	CHECK_THAT(run_cli({"status", "--pool", pool, "--json"}).out, Contains(std::string(32, 'c')));
}

TEST_CASE("progress: load and build show their phases on a terminal, nothing elsewhere", "[cli][progress]")
{
	test::TempDir d;
	std::string pool = d / "p.pool", img = test::make_image(d, "big", 8 * 1024 * 1024);
	REQUIRE(run_cli({"create", "--file", pool, "--size", "64M"}).ok());
	// On a terminal (a pty as stdout and stderr).
	auto on_tty = [&](const std::vector<std::string> &args) {
		int master = -1;
		pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
		REQUIRE(pid >= 0);
		if (pid == 0) {
			std::vector<std::string> a = args;
			std::vector<char *> argv{const_cast<char *>(DAXPOOL_EXE)};
			for (auto &s : a)
				argv.push_back(s.data());
			argv.push_back(nullptr);
			::execv(DAXPOOL_EXE, argv.data());
			::_exit(127);
		}
		std::string out;
		char buf[4096];
		for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;)
			out.append(buf, static_cast<size_t>(n));
		::close(master);
		int st = 0;
		::waitpid(pid, &st, 0);
		CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
		return out;
	};
	std::string tty = on_tty({"load", img, "--pool", pool, "--name", "a"});
	CHECK_THAT(tty, Contains("load: validate") && Contains("load: copy") && Contains("load: verify"));
	CHECK_THAT(tty, Contains("load: copy 100% (") && Contains("/s"));
	CHECK_THAT(tty, Contains("loaded "));
	// --no-progress and --quiet: none.
	tty = on_tty({"load", img, "--pool", pool, "--name", "b", "--no-progress"});
	CHECK_THAT(tty, !Contains("load: copy"));
	CHECK_THAT(tty, Contains("loaded "));
	tty = on_tty({"load", img, "--pool", pool, "--name", "c", "-q"});
	CHECK(tty.empty());
	REQUIRE(run_cli({"unload", "a", "--pool", pool}).ok());
	REQUIRE(run_cli({"unload", "b", "--pool", pool}).ok());
	// Not a terminal: nothing on stderr; with --verbose one line per phase.
	test::Run r = run_cli({"load", img, "--pool", pool, "--name", "d"});
	REQUIRE(r.ok());
	CHECK(r.err.empty());
	r = run_cli({"load", img, "--pool", pool, "--name", "e", "-v"});
	REQUIRE(r.ok());
	CHECK_THAT(r.err, Contains("daxpool: load: validate") && Contains("daxpool: load: copy 100%") &&
				  Contains("daxpool: load: verify"));
	CHECK_THAT(r.out, Contains("loaded ") && !Contains("load: copy"));

	// build: scan and write on a terminal; nothing elsewhere unless -v.
	std::string tree = (d.path() / "tree-big").string();
	tty = on_tty({"build", tree, "-o", d / "again.img"});
	CHECK_THAT(tty, Contains("build: scan") && Contains("build: write 100% (") && Contains("again.img: "));
	tty = on_tty({"build", tree, "-o", d / "again.img", "--no-progress"});
	CHECK_THAT(tty, !Contains("build: write") && Contains("again.img: "));
	r = run_cli({"build", tree, "-o", d / "again.img"});
	REQUIRE(r.ok());
	CHECK(r.err.empty());
	r = run_cli({"build", tree, "-o", d / "again.img", "-v"});
	REQUIRE(r.ok());
	CHECK_THAT(r.err, Contains("daxpool: build: scan") && Contains("daxpool: build: write 100%"));
}

// ---- flags and keys against ndctl / cxl-cli -------------------------------------------------

namespace {

// One row: a daxpool flag in some verbs, the ndctl / cxl-cli command and flag it follows, and
// what both mean.
struct FlagRow {
	std::vector<std::string> verbs; // daxpool commands that have it
	std::string ours;               // as CLI11 prints it in --help: "-f,--force"
	std::string tool, command;      // "ndctl", "create-namespace"
	std::string theirs;             // as their -h prints it: "-f, --force"
	std::string meaning;
};

const FlagRow flag_table[] = {
	{{"create", "destroy", "unload"}, "-f,--force", "ndctl", "destroy-namespace", "-f, --force",
	 "do it although it destroys data"},
	{{"create"}, "-f,--force", "ndctl", "create-namespace", "-f, --force", "overwrite what is there"},
	{{"create"}, "-s,--size", "ndctl", "create-namespace", "-s, --size", "size of what is created"},
	{{"create"}, "-n,--name", "ndctl", "create-namespace", "-n, --name", "a name for it"},
	{{"create"}, "-m,--mode", "ndctl", "create-namespace", "-m, --mode", "devdax or fsdax"},
	{{"create"}, "-b,--bus", "ndctl", "create-namespace", "-b, --bus", "limit to a bus"},
	{{"list", "topology"}, "-b,--bus", "ndctl", "list", "-b, --bus", "filter by bus"},
	{{"create"}, "-w,--ways", "cxl", "create-region", "-w, --ways", "interleave ways"},
	{{"list", "load", "unload", "status", "agent", "destroy", "mount", "fsck"}, "-r,--region", "ndctl",
	 "create-namespace", "-r, --region", "a region, N or regionN"},
	{{"list", "topology", "create", "load", "attach", "status"}, "-u,--human", "ndctl", "list", "-u, --human",
	 "human-readable sizes"},
	{{"build", "inspect", "fsck", "create", "load", "list", "topology", "unload", "status", "agent", "attach",
	  "destroy", "mount", "umount"},
	 "-v,--verbose", "ndctl", "create-namespace", "-v, --verbose", "more detail on stderr"},
	{{"build", "inspect", "fsck", "create", "load", "list", "topology", "unload", "status", "agent", "attach",
	  "destroy", "mount", "umount"},
	 "-q,--quiet", "", "", "", "results and errors only (ndctl 76 has no -q; mkfs(8) and fsck(8) do)"},
};

// JSON keys that are ndctl's / cxl-cli's for the same thing: ours (schema and key in
// docs/json.md, checked against the output by the test above) and theirs (a key string in
// their binary).
struct KeyRow {
	std::string schema, key, tool, theirs, meaning;
};
const KeyRow key_table[] = {
	{"pool", "max_available_extent", "ndctl", "max_available_extent", "largest free extent (region)"},
	{"pool", "available_size", "ndctl", "available_size", "free bytes (region)"},
	{"pool", "size", "ndctl", "size", "the object's size"},
	{"decoder", "max_available_extent", "cxl", "max_available_extent", "largest free part of a root decoder"},
	{"decoder", "pmem_capable", "cxl", "pmem_capable", "root decoder can hold pmem"},
	{"decoder", "decoder", "cxl", "decoder", "decoder name"},
	{"memdev", "memdev", "cxl", "memdev", "memdev name"},
	{"memdev", "pmem_size", "cxl", "pmem_size", "persistent capacity"},
	{"cxl_region", "interleave_ways", "cxl", "interleave_ways", "interleave ways"},
	{"device", "interleave_ways", "cxl", "interleave_ways", "interleave ways"},
	{"device", "chardev", "ndctl", "chardev", "devdax device name, dax0.0"},
	{"device", "blockdev", "ndctl", "blockdev", "fsdax block device name, pmem0"},
	{"device", "dev", "ndctl", "dev", "namespace name, namespace0.0"},
	{"device", "mode", "ndctl", "mode", "namespace mode"},
	{"namespace", "chardev", "ndctl", "chardev", "devdax device name"},
	{"namespace", "blockdev", "ndctl", "blockdev", "fsdax block device name"},
	{"namespace", "dev", "ndctl", "dev", "namespace name"},
};

// Whether the binary of TOOL holds KEY as a NUL-terminated string: how ndctl's JSON keys are
// compiled in (the linker may merge a key into the tail of a longer string, so the start is not
// checked). Keys of 5 bytes or less would match too much and are not checked this way.
std::optional<bool> tool_has_key(const std::string &tool, const std::string &key)
{
	std::string bin = test::read_file("/usr/bin/" + tool);
	if (bin.empty() || key.size() <= 5)
		return std::nullopt;
	return bin.find(key + std::string(1, '\0')) != std::string::npos;
}

std::string tool_help(const std::string &tool, const std::string &command)
{
	std::string cmd = "/usr/bin/" + tool + " " + command + " -h 2>&1";
	std::string out;
	if (FILE *f = ::popen(cmd.c_str(), "r")) {
		char buf[4096];
		for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
			out.append(buf, n);
		::pclose(f);
	}
	return out;
}

} // namespace

TEST_CASE("conventions: flags follow ndctl / cxl-cli (a table)", "[cli][conventions]")
{
	std::map<std::string, std::string> help;
	for (const auto &row : flag_table) {
		INFO(row.ours << " (" << row.meaning << ")");
		for (const auto &verb : row.verbs) {
			if (!help.count(verb))
				help[verb] = run_cli({verb, "--help"}).out;
			INFO("daxpool " << verb << " --help");
			CHECK_THAT(help[verb], Contains("  " + row.ours + " ") || Contains("  " + row.ours + "\n"));
		}
		if (row.tool.empty())
			continue;
		if (::access(("/usr/bin/" + row.tool).c_str(), X_OK) != 0) {
			WARN(row.tool << " is not installed: its side of " << row.ours << " not checked");
			continue;
		}
		INFO(row.tool << " " << row.command << " -h");
		CHECK_THAT(tool_help(row.tool, row.command), Contains(row.theirs));
	}
	// One meaning per short flag across all verbs: every short flag is spelled with one long name.
	std::map<char, std::set<std::string>> longs;
	static const std::regex opt(R"(^  -(\w),(--[\w-]+))");
	for (const char *verb : {"build", "fsck", "inspect", "create", "load", "list", "topology", "unload", "status",
				 "agent", "attach", "destroy", "mount", "umount"}) {
		std::istringstream in(run_cli({verb, "--help"}).out);
		std::string line;
		std::smatch m;
		while (std::getline(in, line))
			if (std::regex_search(line, m, opt))
				longs[m[1].str()[0]].insert(m[2]);
	}
	CHECK(longs.size() > 8);
	for (const auto &[s, l] : longs) {
		INFO("-" << s << ": " << Catch::Detail::stringify(std::vector<std::string>(l.begin(), l.end())));
		CHECK(l.size() == 1);
	}
	// The spellings this convention replaced are gone, or hidden compat aliases.
	CHECK_THAT(help["create"], !Contains("-f,--file") && !Contains("--backend") && !Contains("--interleave"));
	test::TempDir d;
	CHECK(run_cli({"create", "--file", d / "p", "--size", "8M", "--interleave", "2"}).status == 2);
	// The old "-f FILE" is now -f (force) and a stray argument: a usage error, nothing created
	// (and no device provisioned).
	test::Run old = run_cli({"create", "-f", d / "old", "--size", "8M"});
	CHECK(old.status == 2);
	CHECK_FALSE(test::fs::exists(d / "old"));
	CHECK(run_cli({"create", "--file", d / "p", "--size", "8M", "-f"}).ok());
	CHECK(run_cli({"create", "--file", d / "p", "--size", "8M", "-f", "-q"}).out.empty());
	// --region takes N and regionN; anything else is a usage error.
	CHECK_THAT(run_cli({"list", "--region", "region7"}).err, Contains("region 7 has no devdax"));
	CHECK_THAT(run_cli({"list", "-r", "7"}).err, Contains("region 7 has no devdax"));
	CHECK(run_cli({"list", "--region", "regionX"}).status == 2);
	CHECK(run_cli({"list", "--region", "region"}).status == 2);
}

TEST_CASE("conventions: JSON keys follow ndctl / cxl-cli (a table)", "[cli][conventions]")
{
	auto schemas = read_schemas();
	for (const auto &row : key_table) {
		INFO(row.schema << "." << row.key << " (" << row.meaning << ")");
		REQUIRE(schemas.count(row.schema));
		CHECK(schemas.at(row.schema).count(row.key));
		CHECK(row.key == row.theirs);
		if (auto has = tool_has_key(row.tool, row.theirs))
			CHECK(*has);
	}
	// Keys this convention replaced are gone from every schema.
	for (const auto &[name, s] : schemas)
		for (const char *old : {"largest_free_extent", "free", "available", "device_size", "namespace", "writer_pid",
					"writer_op", "host", "boot"}) {
			INFO(name << "." << old);
			CHECK_FALSE(s.count(old));
		}
}

TEST_CASE("README: every command line of \"Using it\" parses, and every command is there", "[cli][readme]")
{
	std::string readme = source_file("README.md");
	size_t at = readme.find("## Using it");
	REQUIRE(at != std::string::npos);
	size_t from = readme.find("```sh\n", at), to = readme.find("```\n", from + 6);
	REQUIRE(from != std::string::npos);
	std::istringstream in(readme.substr(from + 6, to - from - 6));
	std::string line;
	std::set<std::string> verbs;
	int lines = 0;
	while (std::getline(in, line)) {
		if (line.rfind("daxpool ", 0) != 0)
			continue;
		line = line.substr(0, line.find(" #"));
		// "[-n NAME]" and "[a|b]": the line with every option given, first alternatives taken.
		std::string full;
		for (char ch : line)
			if (ch != '[' && ch != ']')
				full += ch;
		std::vector<std::string> args;
		std::istringstream words(full.substr(8));
		for (std::string w; words >> w;)
			args.push_back(w.substr(0, w.find('|')));
		REQUIRE_FALSE(args.empty());
		verbs.insert(args[0]);
		test::Run r = run_cli(args, {{"DAXPOOL_PARSE_ONLY", "1"}});
		INFO(line << "\n -> " << r.err);
		CHECK(r.status == 0);
		lines++;
	}
	CHECK(lines > 10);
	// Every command of `daxpool --help` has a line.
	std::istringstream help(run_cli({"--help"}).out);
	bool in_subs = false;
	while (std::getline(help, line)) {
		if (line.rfind("Subcommands:", 0) == 0) {
			in_subs = true;
			continue;
		}
		std::smatch m;
		static const std::regex sub(R"(^  (\w+)\s)");
		if (in_subs && std::regex_search(line, m, sub)) {
			INFO("daxpool " << m[1] << " is not in README's \"Using it\"");
			CHECK(verbs.count(m[1]));
		}
	}
	// The parse-only mode does reject what the real command line would.
	CHECK(run_cli({"create", "--file", "x", "--size", "8M", "--no-such"}, {{"DAXPOOL_PARSE_ONLY", "1"}}).status == 2);
	CHECK(run_cli({"create", "-m", "bogus", "--size", "8M"}, {{"DAXPOOL_PARSE_ONLY", "1"}}).status == 2);
}
