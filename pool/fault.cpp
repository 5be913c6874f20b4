// SPDX-License-Identifier: GPL-2.0-only
#include "pool/fault.hpp"

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>


namespace daxpool::pool {

namespace {

// DAXPOOL_FAULT=POINT:N[:SIG]: at the Nth time POINT (or "any" point) is passed, the process
// sends itself SIG: KILL (the default), INT, TERM or STOP.
struct Plan {
	std::string point; // "" = disabled
	unsigned long n = 0, seen = 0;
	int sig_ = SIGKILL;
	Plan()
	{
		const char *v = std::getenv("DAXPOOL_FAULT");
		if (!v)
			return;
		std::string s(v);
		auto colon = s.rfind(':');
		if (colon != std::string::npos && !s.empty() && !std::isdigit(static_cast<unsigned char>(s.back()))) {
			const std::string sig = s.substr(colon + 1);
			sig_ = sig == "INT" ? SIGINT : sig == "TERM" ? SIGTERM : sig == "STOP" ? SIGSTOP : SIGKILL;
			s.resize(colon);
			colon = s.rfind(':');
		}
		if (colon == std::string::npos)
			return;
		point = s.substr(0, colon);
		n = std::strtoul(s.c_str() + colon + 1, nullptr, 10);
		if (!n)
			point.clear();
	}
};

std::function<void(const char *)> &hook()
{
	static std::function<void(const char *)> h;
	return h;
}

} // namespace

void set_fault_hook(std::function<void(const char *)> h) { hook() = std::move(h); }

void fault_point(const char *name)
{
	if (hook())
		hook()(name);
	static Plan plan;
	if (plan.point.empty() || (plan.point != "any" && plan.point != name))
		return;
	if (++plan.seen == plan.n) {
		::kill(::getpid(), plan.sig_);
		if (plan.sig_ == SIGKILL)
			::_exit(137);
	}
}

} // namespace daxpool::pool
