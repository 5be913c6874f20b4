// SPDX-License-Identifier: GPL-2.0-only
// Progress of a long command on stderr, by phases: on a terminal one line redrawn in place
// ("load: copy  45%  12.0 MiB of 26.0 MiB  210 MiB/s  ETA 0:03"), elsewhere nothing, or with
// --verbose one line per finished phase. --no-progress and --quiet turn it off.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace daxpool::cli {

class Progress {
public:
	enum class Mode { Off, Lines, Tty };
	// Tty when stderr is a terminal, else Lines with --verbose, else Off; Off with --no-progress or
	// --quiet.
	static Mode choose(bool no_progress);

	Progress(std::string what, Mode mode) : what_(std::move(what)), mode_(mode) {}
	~Progress() { end_phase(); }
	Progress(const Progress &) = delete;
	Progress &operator=(const Progress &) = delete;

	// Ends the current phase and starts PHASE; TOTAL bytes (0: no percentage, rate or ETA).
	void phase(const std::string &phase, uint64_t total = 0);
	// DONE of the phase's total bytes.
	void update(uint64_t done);
	// Ends the current phase (its line says how long it took).
	void end_phase();
	const std::string &current() const { return phase_; }

private:
	using Clock = std::chrono::steady_clock;
	void draw(bool final);

	std::string what_, phase_;
	Mode mode_;
	uint64_t total_ = 0, done_ = 0;
	Clock::time_point start_{}, last_draw_{};
	bool drawn_ = false;
};

// "0.4 s", "1:03", "1:02:03"; for ETAs and durations.
std::string format_duration(double seconds);

} // namespace daxpool::cli
