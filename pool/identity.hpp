// SPDX-License-Identifier: GPL-2.0-only
// Who is writing: this host's id, its boot id, and the process id. Recorded in every catalog
// entry a writer creates, so a later writer can prove a WRITING entry's writer is gone. The
// host id is daxpool's application-specific id of /etc/machine-id (systemd's
// sd_id128_get_machine_app_specific), never the machine-id itself, which machine-id(5) asks to
// keep on the host. Tests override the first two with DAXPOOL_MACHINE_ID / DAXPOOL_BOOT_ID (32
// hex digits or a UUID, used as given), and the hostname with DAXPOOL_HOSTNAME. In the
// multi-host protocol (docs/multihost.md) a host is its id in one boot.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace daxpool::pool {

struct Identity {
	std::array<uint8_t, 16> host{}; // app-specific id of /etc/machine-id (or DAXPOOL_MACHINE_ID)
	std::array<uint8_t, 16> boot{}; // /proc/sys/kernel/random/boot_id
	uint32_t pid = 0;
	std::string hostname;           // gethostname(), for messages only
};

// Throws Error when the machine-id or boot id cannot be read.
const Identity &self();

// 64 random bits from the kernel (getrandom), never 0: a claim nonce.
uint64_t random_nonce();

} // namespace daxpool::pool
