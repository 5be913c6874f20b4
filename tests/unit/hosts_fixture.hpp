// SPDX-License-Identifier: GPL-2.0-only
// What the multi-host unit tests (test_pool_hosts/_writer/_unload.cpp) share: other hosts as
// processes with their own DAXPOOL_MACHINE_ID / DAXPOOL_BOOT_ID (model_host or daxpool), a
// file-backed pool, `status --json` lookups, and the torn line a damaged host slot shows.
#pragma once

#include <catch2/catch.hpp>

#include <json-c/json.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "lib/format/daxfs_format.h"
#include "pool/create.hpp"
#include "pool/error.hpp"
#include "pool/fault.hpp"
#include "pool/fsck.hpp"
#include "pool/hosts.hpp"
#include "pool/identity.hpp"
#include "pool/pool.hpp"
#include "tests/unit/pool_helpers.hpp"

namespace hosts_test {

using namespace daxpool::pool;

using Env = std::map<std::string, std::string>;

// Host `c` (a hex digit): machine-id cccc..., hostname host<c>, the given boot and lease.
inline Env host(char c, char boot = '1', unsigned lease_ms = 0, unsigned margin_ms = 100)
{
	Env e{{"DAXPOOL_MACHINE_ID", std::string(32, c)},
	      {"DAXPOOL_BOOT_ID", std::string(31, '0') + boot},
	      {"DAXPOOL_HOSTNAME", std::string("host") + c}};
	if (lease_ms) {
		e["DAXPOOL_LEASE_MS"] = std::to_string(lease_ms);
		e["DAXPOOL_MARGIN_MS"] = std::to_string(margin_ms);
		e["DAXPOOL_HEARTBEAT_MS"] = std::to_string(std::max(1u, lease_ms / 4));
	}
	return e;
}

inline test::Run model(const std::vector<std::string> &args, const Env &env)
{
	return test::wait_cli(test::spawn_exe(MODEL_HOST_EXE, args, env));
}

inline bool util_all_zero_line(Pool &p, uint64_t off)
{
	HostClaim c = p.shared().read_obj<HostClaim>(off);
	const auto *b = reinterpret_cast<const uint8_t *>(&c);
	return std::all_of(b, b + sizeof c, [](uint8_t x) { return x == 0; });
}

struct Fixture {
	test::TempDir d;
	std::string pool = d / "p";
	std::string img = test::make_image(d, "img", 100000);
	PoolRef ref{pool, {}};
	explicit Fixture(uint64_t size = 32 * MiB) { create_file_pool({pool, size, "hosts", false}); }
};

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

// The host of `status --json` with this hostname (nullptr if none).
json_object *status_host(const JsonDoc &doc, const std::string &name)
{
	json_object *hosts = field(doc.o, "hosts");
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		json_object *h = json_object_array_get_idx(hosts, i);
		if (json_object_get_string(field(h, "hostname")) == name)
			return h;
	}
	return nullptr;
}

inline void sleep_ms(unsigned ms) { ::usleep(ms * 1000); }


// The slot of the host with this hostname.
inline uint32_t slot_of(Pool &p, const std::string &name)
{
	for (int i = 0; i < 200; i++) {
		for (const auto &h : read_hosts(p))
			if (h.hostname == name)
				return h.slot;
		sleep_ms(20);
	}
	FAIL("no slot for " << name);
	return 0;
}

// Garbage with a bad CRC in line `line` of `slot`: what a torn or damaged line looks like.
inline void tear(Pool &p, uint32_t slot, uint32_t line)
{
	HostTicket garbage;
	std::memset(&garbage, 0x5a, sizeof garbage);
	p.shared().commit_obj(p.super().host_table_off + uint64_t(slot) * p.super().host_slot_size + line * LINE, garbage);
}


} // namespace hosts_test
