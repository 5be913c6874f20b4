// SPDX-License-Identifier: GPL-2.0-only
// daxpool-agent@DEV.service stopped as `systemctl stop` does: over systemd's private socket
// (root), StopUnit with mode "replace", then the job's JobRemoved signal awaited.
#include "pool/agent_unit.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "pool/error.hpp"

namespace daxpool::pool {

namespace {

constexpr const char *SYSTEMD = "org.freedesktop.systemd1";
constexpr const char *MANAGER_PATH = "/org/freedesktop/systemd1";
constexpr const char *MANAGER = "org.freedesktop.systemd1.Manager";
// How long stop() waits for the stop job: systemd ends it itself, killing the agent after the
// unit's TimeoutStopSec= (90 s by default); this only bounds a systemd that never answers.
constexpr auto STOP_WAIT = std::chrono::minutes(5);

struct BusError {
	sd_bus_error e{};
	BusError() = default;
	BusError(const BusError &) = delete;
	BusError &operator=(const BusError &) = delete;
	~BusError() { sd_bus_error_free(&e); }
	std::string text(int r) const { return e.message ? e.message : std::strerror(-r); }
};

struct MsgUnref {
	void operator()(sd_bus_message *m) const { sd_bus_message_unref(m); }
};
using Msg = std::unique_ptr<sd_bus_message, MsgUnref>;
struct SlotUnref {
	void operator()(sd_bus_slot *s) const { sd_bus_slot_unref(s); }
};

// Not running: nothing to stop (a failed unit's process is gone too).
bool down(const std::string &state) { return state == "inactive" || state == "failed"; }

// The stop job stop() waits for, and what JobRemoved said of it.
struct JobWait {
	std::string job, result;
	bool removed = false;
};

int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *)
{
	auto *w = static_cast<JobWait *>(userdata);
	uint32_t id = 0;
	const char *job = nullptr, *unit = nullptr, *result = nullptr;
	if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0 && w->job == job) {
		w->removed = true;
		w->result = result;
	}
	return 0;
}

int connect(const char *address, sd_bus **ret)
{
	sd_bus *b = nullptr;
	int r = sd_bus_new(&b);
	if (r < 0)
		return r;
	if ((r = sd_bus_set_address(b, address)) < 0 || (r = sd_bus_start(b)) < 0) {
		sd_bus_flush_close_unref(b);
		return r;
	}
	*ret = b;
	return 0;
}

} // namespace

std::string agent_unit_name(const std::string &device)
{
	const auto slash = device.rfind('/');
	return "daxpool-agent@" + device.substr(slash == std::string::npos ? 0 : slash + 1) + ".service";
}

void AgentUnit::BusClose::operator()(sd_bus *b) const { sd_bus_flush_close_unref(b); }

AgentUnit::AgentUnit(const std::string &device, const std::string &address) : name_(agent_unit_name(device))
{
	sd_bus *b = nullptr;
	int r;
	if (!address.empty()) {
		r = connect(address.c_str(), &b);
	} else {
		if (sd_booted() <= 0)
			return; // no systemd: no unit to stop
		r = connect("unix:path=/run/systemd/private", &b);
		if (r < 0) {
			r = sd_bus_open_system(&b);
			bus_client_ = r >= 0;
		}
	}
	if (r < 0)
		throw Error("cannot reach systemd to stop " + name_ + " before " + device + " goes: " + std::strerror(-r));
	bus_.reset(b);
}

std::string AgentUnit::active_state(const std::string &path)
{
	BusError e;
	char *s = nullptr;
	int r = sd_bus_get_property_string(bus_.get(), SYSTEMD, path.c_str(), "org.freedesktop.systemd1.Unit",
					   "ActiveState", &e.e, &s);
	std::unique_ptr<char, decltype(&std::free)> owned(s, &std::free);
	if (r < 0)
		throw Error("cannot stop " + name_ + ": its state: " + e.text(r));
	return owned.get();
}

bool AgentUnit::stop()
{
	if (!bus_)
		return false;
	const std::string fail = "cannot stop " + name_ + ": ";
	std::string path;
	{
		BusError e;
		sd_bus_message *m = nullptr;
		int r = sd_bus_call_method(bus_.get(), SYSTEMD, MANAGER_PATH, MANAGER, "GetUnit", &e.e, &m, "s",
					   name_.c_str());
		Msg reply(m);
		if (r < 0 && sd_bus_error_has_name(&e.e, "org.freedesktop.systemd1.NoSuchUnit"))
			return false; // not loaded: not running
		const char *p = nullptr;
		if (r < 0 || (r = sd_bus_message_read(reply.get(), "o", &p)) < 0)
			throw Error(fail + e.text(r));
		path = p;
	}
	// Stopped whatever its state, as `systemctl stop` does: a start job queued for an inactive
	// unit (at boot, or pulled in by the device's last udev event) is cancelled too. The state
	// before tells only whether there was an agent to stop.
	const bool was_up = !down(active_state(path));
	// The match first: the job may end before StopUnit's reply is read. A direct connection has
	// no sender names (systemd sends its signals there unasked); the system bus wants Subscribe.
	JobWait w;
	sd_bus_slot *s = nullptr;
	int r = sd_bus_match_signal(bus_.get(), &s, bus_client_ ? SYSTEMD : nullptr, MANAGER_PATH, MANAGER, "JobRemoved",
				    on_job_removed, &w);
	if (r < 0)
		throw Error(fail + std::strerror(-r));
	std::unique_ptr<sd_bus_slot, SlotUnref> slot(s);
	if (bus_client_) {
		BusError e;
		if ((r = sd_bus_call_method(bus_.get(), SYSTEMD, MANAGER_PATH, MANAGER, "Subscribe", &e.e, nullptr, "")) < 0)
			throw Error(fail + e.text(r));
	}
	{
		BusError e;
		sd_bus_message *m = nullptr;
		r = sd_bus_call_method(bus_.get(), SYSTEMD, MANAGER_PATH, MANAGER, "StopUnit", &e.e, &m, "ss", name_.c_str(),
				       "replace");
		Msg reply(m);
		const char *job = nullptr;
		if (r < 0 || (r = sd_bus_message_read(reply.get(), "o", &job)) < 0)
			throw Error(fail + e.text(r));
		w.job = job;
	}
	const auto until = std::chrono::steady_clock::now() + STOP_WAIT;
	while (!w.removed) {
		r = sd_bus_process(bus_.get(), nullptr);
		if (r < 0)
			throw Error(fail + "waiting for its stop job: " + std::strerror(-r));
		if (r > 0)
			continue;
		const auto left = until - std::chrono::steady_clock::now();
		if (left <= left.zero())
			throw Error(fail + "its stop job " + w.job + " did not end within " +
				    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(STOP_WAIT).count()) + " s");
		r = sd_bus_wait(bus_.get(), std::chrono::duration_cast<std::chrono::microseconds>(left).count());
		if (r < 0)
			throw Error(fail + "waiting for its stop job: " + std::strerror(-r));
	}
	if (const std::string now = active_state(path); !down(now))
		throw Error(fail + "it is " + now + " after its stop job (" + w.result + ")");
	return was_up;
}

} // namespace daxpool::pool
