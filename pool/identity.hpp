// SPDX-License-Identifier: GPL-2.0-only
// Who is writing: this host's machine-id, its boot id, and the process id. Recorded in every
// catalog entry a writer creates, so a later writer can prove a WRITING entry's writer is gone.
// Tests override the first two with DAXPOOL_MACHINE_ID / DAXPOOL_BOOT_ID (32 hex digits or a
// UUID), and the hostname with DAXPOOL_HOSTNAME. In the multi-host protocol (docs/multihost.md)
// a host is its machine-id in one boot.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace daxpool::pool {

struct Identity {
	std::array<uint8_t, 16> host{}; // /etc/machine-id
	std::array<uint8_t, 16> boot{}; // /proc/sys/kernel/random/boot_id
	uint32_t pid = 0;
	std::string hostname;           // gethostname(), for messages only
};

// Throws Error when the machine-id or boot id cannot be read.
const Identity &self();

// 64 random bits from the kernel (getrandom), never 0: a claim nonce.
uint64_t random_nonce();

} // namespace daxpool::pool
