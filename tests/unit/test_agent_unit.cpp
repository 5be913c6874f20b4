// SPDX-License-Identifier: GPL-2.0-only
// pool/agent_unit.cpp, what `daxpool destroy` asks of systemd before the device goes: against
// a fake systemd manager on a unix socket (GetUnit, the unit's ActiveState, StopUnit and its
// JobRemoved signal), as systemd answers on its private socket.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pool/agent_unit.hpp"
#include "pool/error.hpp"
#include "tests/unit/pool_helpers.hpp"

using namespace daxpool::pool;
using Catch::Contains;

namespace {

constexpr const char *UNIT_PATH = "/org/freedesktop/systemd1/unit/agent";
constexpr const char *JOB_PATH = "/org/freedesktop/systemd1/job/7";

// One client connection, served from a thread until it closes.
class FakeSystemd {
public:
	bool loaded = true;
	std::string state = "active";         // the unit's ActiveState
	std::string after_stop = "inactive";  // its ActiveState once the stop job ended
	std::string job_result = "done";
	bool signal_first = false;            // JobRemoved before StopUnit's reply
	std::string address;

	explicit FakeSystemd(const std::string &socket) : path_(socket)
	{
		address = "unix:path=" + path_;
		lfd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		REQUIRE(lfd_ >= 0);
		sockaddr_un a{};
		a.sun_family = AF_UNIX;
		REQUIRE(path_.size() < sizeof a.sun_path);
		path_.copy(a.sun_path, path_.size());
		REQUIRE(::bind(lfd_, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
		REQUIRE(::listen(lfd_, 1) == 0);
		thread_ = std::thread([this] { serve(); });
	}
	~FakeSystemd()
	{
		quit_ = true;
		::shutdown(lfd_, SHUT_RDWR); // ends an accept() nobody connected to
		thread_.join();
		::close(lfd_);
	}
	FakeSystemd(const FakeSystemd &) = delete;
	FakeSystemd &operator=(const FakeSystemd &) = delete;

	std::vector<std::string> calls()
	{
		std::lock_guard l(m_);
		return calls_;
	}

private:
	void record(const std::string &c)
	{
		std::lock_guard l(m_);
		calls_.push_back(c);
	}

	static int get_unit(sd_bus_message *m, void *userdata, sd_bus_error *e)
	{
		auto *f = static_cast<FakeSystemd *>(userdata);
		const char *name = nullptr;
		if (int r = sd_bus_message_read(m, "s", &name); r < 0)
			return r;
		f->record(std::string("GetUnit ") + name);
		if (!f->loaded)
			return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
		return sd_bus_reply_method_return(m, "o", UNIT_PATH);
	}

	static int stop_unit(sd_bus_message *m, void *userdata, sd_bus_error *)
	{
		auto *f = static_cast<FakeSystemd *>(userdata);
		const char *name = nullptr, *mode = nullptr;
		if (int r = sd_bus_message_read(m, "ss", &name, &mode); r < 0)
			return r;
		f->record(std::string("StopUnit ") + name + " " + mode);
		sd_bus *b = sd_bus_message_get_bus(m);
		auto removed = [&] {
			f->state = f->after_stop;
			return sd_bus_emit_signal(b, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
						  "JobRemoved", "uoss", 7u, JOB_PATH, name, f->job_result.c_str());
		};
		int r = f->signal_first ? removed() : 0;
		if (r >= 0)
			r = sd_bus_reply_method_return(m, "o", JOB_PATH);
		if (r >= 0 && !f->signal_first)
			r = removed();
		return r < 0 ? r : 1;
	}

	static int active_state(sd_bus *, const char *, const char *, const char *, sd_bus_message *reply, void *userdata,
				sd_bus_error *)
	{
		return sd_bus_message_append(reply, "s", static_cast<FakeSystemd *>(userdata)->state.c_str());
	}

	void serve()
	{
		static const sd_bus_vtable manager[] = {
			SD_BUS_VTABLE_START(0),
			SD_BUS_METHOD("GetUnit", "s", "o", get_unit, 0),
			SD_BUS_METHOD("StopUnit", "ss", "o", stop_unit, 0),
			SD_BUS_VTABLE_END,
		};
		static const sd_bus_vtable unit[] = {
			SD_BUS_VTABLE_START(0),
			SD_BUS_PROPERTY("ActiveState", "s", active_state, 0, 0),
			SD_BUS_VTABLE_END,
		};
		int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		sd_bus *b = nullptr;
		sd_id128_t id;
		if (sd_bus_new(&b) < 0 || sd_id128_randomize(&id) < 0 || sd_bus_set_fd(b, fd, fd) < 0 ||
		    sd_bus_set_server(b, 1, id) < 0 ||
		    sd_bus_add_object_vtable(b, nullptr, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
					     manager, this) < 0 ||
		    sd_bus_add_object_vtable(b, nullptr, UNIT_PATH, "org.freedesktop.systemd1.Unit", unit, this) < 0 ||
		    sd_bus_start(b) < 0) {
			sd_bus_flush_close_unref(b);
			return;
		}
		while (!quit_) {
			int r = sd_bus_process(b, nullptr);
			if (r < 0)
				break; // the client closed
			if (r == 0 && sd_bus_wait(b, 50000) < 0)
				break;
		}
		sd_bus_flush_close_unref(b);
	}

	std::string path_;
	int lfd_ = -1;
	std::atomic<bool> quit_{false};
	std::mutex m_;
	std::vector<std::string> calls_;
	std::thread thread_;
};

const std::string NAME = "daxpool-agent@dax0.0.service";

} // namespace

TEST_CASE("agent unit: the instance is the device's kernel name", "[pool][agent-unit]")
{
	CHECK(agent_unit_name("/dev/dax0.0") == NAME);
	CHECK(agent_unit_name("/dev/pmem1") == "daxpool-agent@pmem1.service");
}

TEST_CASE("agent unit: a loaded unit is stopped and waited for; one not loaded is left alone", "[pool][agent-unit]")
{
	test::TempDir d;
	FakeSystemd sd(d / "private");
	SECTION("active: StopUnit (mode replace, as systemctl stop), its job awaited")
	{
		sd.signal_first = GENERATE(false, true); // the job may end before StopUnit's reply is read
		AgentUnit u("/dev/dax0.0", sd.address);
		CHECK(u.name() == NAME);
		CHECK(u.stop());
		CHECK(sd.calls() == std::vector<std::string>{"GetUnit " + NAME, "StopUnit " + NAME + " replace"});
	}
	SECTION("waiting to be restarted (activating): stopped too")
	{
		sd.state = "activating";
		AgentUnit u("/dev/dax0.0", sd.address);
		CHECK(u.stop());
		CHECK(sd.calls().size() == 2);
	}
	SECTION("not loaded: nothing asked of systemd but the unit")
	{
		sd.loaded = false;
		AgentUnit u("/dev/dax0.0", sd.address);
		CHECK_FALSE(u.stop());
		CHECK(sd.calls() == std::vector<std::string>{"GetUnit " + NAME});
	}
	SECTION("inactive or failed: stopped all the same (a queued start job is cancelled), nothing was running")
	{
		sd.state = GENERATE("inactive", "failed");
		sd.after_stop = sd.state;
		AgentUnit u("/dev/dax0.0", sd.address);
		CHECK_FALSE(u.stop());
		CHECK(sd.calls() == std::vector<std::string>{"GetUnit " + NAME, "StopUnit " + NAME + " replace"});
	}
}

TEST_CASE("agent unit: a unit still up after its stop job, or no systemd to ask, is an error in one line", "[pool][agent-unit]")
{
	test::TempDir d;
	SECTION("up again after the job (started meanwhile)")
	{
		FakeSystemd sd(d / "private");
		sd.after_stop = "activating";
		sd.job_result = "canceled";
		AgentUnit u("/dev/dax0.0", sd.address);
		CHECK_THROWS_WITH(u.stop(), "cannot stop " + NAME + ": it is activating after its stop job (canceled)");
	}
	SECTION("nothing listens at the address")
	{
		CHECK_THROWS_WITH(AgentUnit("/dev/dax0.0", "unix:path=" + d / "none"),
				  Contains("cannot reach systemd to stop " + NAME + " before /dev/dax0.0 goes: "));
	}
}
