// SPDX-License-Identifier: GPL-2.0-only
#include "cli/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "cli/commands.hpp"
#include "lib/util/size.hpp"

namespace daxpool::cli {

std::string format_duration(double seconds)
{
	seconds = std::max(0.0, seconds);
	char buf[32];
	if (seconds < 59.95) {
		std::snprintf(buf, sizeof buf, "%.1f s", seconds);
		return buf;
	}
	auto s = static_cast<unsigned long long>(std::llround(seconds));
	if (s >= 3600)
		std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
	else
		std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
	return buf;
}

Progress::Mode Progress::choose(bool no_progress)
{
	if (no_progress || quiet())
		return Mode::Off;
	if (::isatty(STDERR_FILENO))
		return Mode::Tty;
	return verbose() ? Mode::Lines : Mode::Off;
}

void Progress::phase(const std::string &phase, uint64_t total)
{
	end_phase();
	phase_ = phase;
	total_ = total;
	done_ = 0;
	start_ = Clock::now();
	last_draw_ = {};
	if (mode_ == Mode::Tty)
		draw(false);
}

void Progress::update(uint64_t done)
{
	done_ = done;
	if (mode_ != Mode::Tty)
		return;
	auto now = Clock::now();
	if (now - last_draw_ >= std::chrono::milliseconds(100) || (total_ && done_ >= total_))
		draw(false);
}

void Progress::end_phase()
{
	if (phase_.empty())
		return;
	if (mode_ != Mode::Off)
		draw(true);
	phase_.clear();
}

void Progress::draw(bool final)
{
	auto now = Clock::now();
	last_draw_ = now;
	double secs = std::chrono::duration<double>(now - start_).count();
	std::string line = what_ + ": " + phase_;
	if (total_) {
		uint64_t done = std::min(done_, total_);
		line += " " + std::to_string(done * 100 / total_) + "% (" + util::format_size(done) + " of " +
			util::format_size(total_) + ")";
		if (secs > 0 && done) {
			double rate = static_cast<double>(done) / secs;
			line += ", " + util::format_size(static_cast<uint64_t>(rate)) + "/s";
			if (!final && done < total_)
				line += ", ETA " + format_duration(static_cast<double>(total_ - done) / rate);
		}
	}
	if (final)
		line += std::string(total_ ? ", in " : ", ") + format_duration(secs);
	if (mode_ == Mode::Tty) {
		// Redraw in place: carriage return, the line, clear to its end; a finished phase keeps
		// its line.
		std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final ? "\n" : "");
	} else if (final) {
		std::fprintf(stderr, "daxpool: %s\n", line.c_str());
	}
	std::fflush(stderr);
	drawn_ = true;
}

} // namespace daxpool::cli
