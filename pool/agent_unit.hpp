// SPDX-License-Identifier: GPL-2.0-only
// This host's daxpool-agent@DEV.service, stopped through systemd (sd-bus) before `daxpool
// destroy` removes the device under it: the agent maps the device, and a mapping whose
// namespace or region is gone faults (SIGBUS). docs/provisioning.md, "destroy".
#pragma once

#include <memory>
#include <string>

typedef struct sd_bus sd_bus;

namespace daxpool::pool {

// "/dev/dax0.0" -> "daxpool-agent@dax0.0.service": the kernel's device name, as udev names the
// instance (90-daxpool.rules); it needs no escaping.
std::string agent_unit_name(const std::string &device);

class AgentUnit {
public:
	// Connects to systemd: ADDRESS is a D-Bus address (tests); "" is systemd's own, its private
	// socket as systemctl uses it as root, else the system bus, and nothing at all when systemd
	// is not running (sd_booted(): then stop() does nothing). Throws Error when systemd runs but
	// cannot be reached. Connecting stops nothing.
	explicit AgentUnit(const std::string &device, const std::string &address = "");
	AgentUnit(const AgentUnit &) = delete;
	AgentUnit &operator=(const AgentUnit &) = delete;

	const std::string &name() const { return name_; }
	// When the unit is loaded: asks systemd to stop it (StopUnit, mode "replace", as `systemctl
	// stop`, which also cancels a start job queued for it) and waits for the job to end, then
	// checks that the unit is down. True when the unit was up (active, starting, waiting to
	// restart, stopping) and is stopped; false when there was nothing running (no systemd, not
	// loaded, inactive or failed). Throws Error (one line) when the stop fails or the unit is
	// still up after it.
	bool stop();

private:
	std::string active_state(const std::string &path);

	struct BusClose {
		void operator()(sd_bus *b) const;
	};
	std::string name_;
	std::unique_ptr<sd_bus, BusClose> bus_; // null: no systemd
	bool bus_client_ = false; // through the system bus (signals by sender), not a direct connection
};

} // namespace daxpool::pool
