// SPDX-License-Identifier: GPL-2.0-only
#include "tests/unit/sim_memory.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "lib/util/fd.hpp"
#include "pool/error.hpp"
#include "pool/layout.hpp"

namespace daxpool::sim {

using pool::LINE;

namespace {

constexpr uint64_t PAGE = 4096;
constexpr unsigned WORDS = LINE / 8;
constexpr char CACHE_MAGIC[8] = {'D', 'P', 'S', 'I', 'M', 'C', '1', 0};
constexpr uint64_t BULK = 4096; // writes larger than this are "bulk": fewer yields

struct CacheHeader {
	char magic[8];
	uint64_t pool_size, lines;
	int64_t pid;
	uint32_t bulk; // a bulk store (or its write-back) is in progress: for targeted kills
	// This process has made a cached store (a store reported by no stored_nt): the stores it
	// was making when it died are cached ones too, and stay in its cache.
	uint32_t cached_stores;
};

void set_bulk(uint8_t *cache, uint32_t v)
{
	std::atomic_ref<uint32_t>(reinterpret_cast<CacheHeader *>(cache)->bulk).store(v, std::memory_order_relaxed);
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
uint64_t states_off() { return PAGE; }
uint64_t shadow_off(uint64_t lines) { return align_up(PAGE + lines, PAGE); }

// sim-PID-N.cache: the Nth SimBackend of process PID.
std::string cache_prefix(long pid) { return "sim-" + std::to_string(pid) + "-"; }
std::atomic<unsigned> instances{0};

} // namespace

// ---- FileMap -------------------------------------------------------------------------------

FileMap::FileMap(const std::string &path, bool create, uint64_t size)
{
	util::Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600));
	if (!fd)
		pool::throw_errno("sim: cannot open " + path, errno);
	if (create) {
		if (::ftruncate(fd.get(), static_cast<off_t>(size)) < 0)
			pool::throw_errno("sim: cannot size " + path, errno);
	} else {
		struct stat st;
		if (::fstat(fd.get(), &st) < 0)
			pool::throw_errno("sim: cannot stat " + path, errno);
		size = static_cast<uint64_t>(st.st_size);
	}
	void *a = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
	if (a == MAP_FAILED)
		pool::throw_errno("sim: cannot map " + path, errno);
	p_ = static_cast<uint8_t *>(a);
	n_ = size;
}

FileMap::~FileMap()
{
	if (p_)
		::munmap(p_, n_);
}

FileMap &FileMap::operator=(FileMap &&o) noexcept
{
	if (this != &o) {
		if (p_)
			::munmap(p_, n_);
		p_ = std::exchange(o.p_, nullptr);
		n_ = std::exchange(o.n_, 0);
	}
	return *this;
}

// ---- Memory --------------------------------------------------------------------------------

uint64_t Memory::load(uint64_t off) const
{
	return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(map_.data() + off)).load(std::memory_order_relaxed);
}

void Memory::store(uint64_t off, uint64_t v)
{
	std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(map_.data() + off)).store(v, std::memory_order_relaxed);
}

void Memory::store_line(uint64_t line, const uint8_t *src, unsigned first, unsigned last, std::mt19937_64 &rng,
			bool bulk)
{
	std::array<unsigned, WORDS> order;
	unsigned n = 0;
	for (unsigned w = first; w < last; w++)
		order[n++] = w;
	std::shuffle(order.begin(), order.begin() + n, rng);
	// Where (if at all) this line's store pauses between two words.
	unsigned gap = n > 1 && rng() % (bulk ? 4096 : 4) == 0 ? 1 + unsigned(rng() % (n - 1)) : 0;
	for (unsigned i = 0; i < n; i++) {
		if (gap && i == gap) {
			if (rng() % 64 == 0)
				::usleep(static_cast<useconds_t>(50 + rng() % 200));
			else
				::sched_yield();
		}
		uint64_t v;
		std::memcpy(&v, src + order[i] * 8, 8);
		store(line * LINE + order[i] * 8, v);
	}
}

void Memory::load_line(uint64_t line, uint8_t *dst) const
{
	for (unsigned w = 0; w < WORDS; w++) {
		uint64_t v = load(line * LINE + w * 8);
		std::memcpy(dst + w * 8, &v, 8);
	}
}

// ---- SimBackend ----------------------------------------------------------------------------

SimBackend::SimBackend(const std::string &pool_path, SimOptions o)
    : path_(pool_path), o_(std::move(o)), mem_(pool_path), rng_(o_.seed)
{
	size_ = mem_.size() / LINE * LINE;
	if (size_ == 0)
		throw pool::NotAPool(path_ + " is not a daxpool pool (empty file)");
	lines_ = size_ / LINE;
	cache_path_ = o_.state_dir + "/" + cache_prefix(::getpid()) + std::to_string(instances++) + ".cache";
	::unlink(cache_path_.c_str()); // a previous process with this pid (pid reuse)
	cache_ = FileMap(cache_path_, true, shadow_off(lines_) + size_);
	auto *h = reinterpret_cast<CacheHeader *>(cache_.data());
	h->pool_size = size_;
	h->lines = lines_;
	h->pid = ::getpid();
	std::memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
	state_ = reinterpret_cast<LineState *>(cache_.data() + states_off());
	shadow_ = cache_.data() + shadow_off(lines_);
}

SimBackend::~SimBackend()
{
	try {
		write_back_all();
	} catch (...) {
	}
	::unlink(cache_path_.c_str());
}

std::span<uint8_t> SimBackend::map() const { return {shadow_, static_cast<size_t>(size_)}; }

LineState SimBackend::state(uint64_t line) const
{
	return std::atomic_ref<LineState>(state_[line]).load(std::memory_order_relaxed);
}

void SimBackend::mark(uint64_t line, LineState s) const
{
	std::atomic_ref<LineState>(state_[line]).store(s, std::memory_order_relaxed);
	if (s != LineState::Dirty)
		return;
	// A bounded sample of the dirty lines is enough to pick random victims from (entries that
	// are clean again are skipped when picked).
	if (dirty_.size() >= 65536)
		dirty_[rng_() % dirty_.size()] = line;
	else
		dirty_.push_back(line);
}

void SimBackend::write_back(uint64_t line, bool bulk) const
{
	mem_.store_line(line, shadow_ + line * LINE, 0, WORDS, rng_, bulk);
	mark(line, LineState::Clean);
}

// A range this thread prepared and stored to without stored_nt: a cached store, dirty now.
void SimBackend::own_pending_to_dirty() const
{
	const auto me = std::this_thread::get_id();
	for (auto it = pending_.begin(); it != pending_.end();) {
		if (it->first != me) {
			++it;
			continue;
		}
		auto [off, len] = it->second;
		for (uint64_t l = off / LINE; l * LINE < off + len; l++)
			if (state(l) == LineState::Pending) {
				mark(l, LineState::Dirty);
				std::atomic_ref<uint32_t>(reinterpret_cast<CacheHeader *>(cache_.data())->cached_stores)
					.store(1, std::memory_order_relaxed);
			}
		it = pending_.erase(it);
	}
}

void SimBackend::maybe_evict() const
{
	if (dirty_.empty() || o_.evict_one_in == 0 || rng_() % o_.evict_one_in != 0)
		return;
	size_t i = rng_() % dirty_.size();
	uint64_t l = dirty_[i];
	dirty_[i] = dirty_.back();
	dirty_.pop_back();
	if (state(l) == LineState::Dirty)
		write_back(l, false);
}

// Runs fn(line) for every line of [off, off + len) under the lock, a batch at a time, so that a
// bulk operation of one thread (a 16 MiB chunk) does not stall the others (the heartbeat).
template <typename Fn> void SimBackend::each_line(uint64_t off, uint64_t len, Fn fn) const
{
	constexpr uint64_t BATCH = 64;
	const uint64_t end = (off + len + LINE - 1) / LINE;
	for (uint64_t l = off / LINE; l < end;) {
		{
			std::lock_guard g(m_);
			for (uint64_t stop = std::min(end, l + BATCH); l < stop; l++)
				fn(l);
		}
		if (l < end)
			std::this_thread::yield(); // let a waiting thread have the lock
	}
}

void SimBackend::fetch(uint64_t off, uint64_t len) const
{
	{
		std::lock_guard g(m_);
		own_pending_to_dirty();
		maybe_evict();
	}
	bool bulk = len > BULK;
	each_line(off, len, [&](uint64_t l) {
		LineState s = state(l);
		if (s == LineState::Pending)
			return; // another thread is storing to it right now: its own bytes are newer
		if (s == LineState::Dirty)
			write_back(l, bulk); // clflushopt writes a dirty line back before dropping it
		mem_.load_line(l, shadow_ + l * LINE);
		mark(l, LineState::Clean);
	});
}

void SimBackend::prepare_write(uint64_t off, uint64_t len)
{
	if (len == 0)
		return;
	if (check_)
		check_(off, len);
	{
		std::lock_guard g(m_);
		own_pending_to_dirty();
		maybe_evict();
	}
	bool bulk = len > BULK;
	if (bulk)
		set_bulk(cache_.data(), 1);
	each_line(off, len, [&](uint64_t l) {
		LineState s = state(l);
		if (s == LineState::Dirty)
			write_back(l, bulk); // an eviction before the store; always allowed
		// Loaded (also lines the store covers whole): the words it has not stored yet, if it
		// dies mid-store, must be memory's, not stale bytes.
		if (s != LineState::Pending)
			mem_.load_line(l, shadow_ + l * LINE);
		mark(l, LineState::Pending);
	});
	std::lock_guard g(m_);
	pending_.push_back({std::this_thread::get_id(), {off, len}});
}

void SimBackend::stored_nt(uint64_t off, uint64_t len)
{
	if (len == 0)
		return;
	{
		std::lock_guard g(m_);
		const auto me = std::this_thread::get_id();
		for (auto it = pending_.begin(); it != pending_.end(); ++it)
			if (it->first == me && it->second == std::pair(off, len)) {
				pending_.erase(it);
				break;
			}
		own_pending_to_dirty(); // earlier ranges of this thread without stored_nt: cached stores
	}
	// The words the store touched (nt_store merges unaligned edges into whole words).
	const uint64_t a = off / 8 * 8, b = align_up(off + len, 8);
	bool bulk = len > BULK;
	each_line(a, b - a, [&](uint64_t l) {
		uint64_t ls = l * LINE;
		unsigned first = ls < a ? unsigned((a - ls) / 8) : 0;
		unsigned last = ls + LINE > b ? unsigned((b - ls) / 8) : WORDS;
		mem_.store_line(l, shadow_ + ls, first, last, rng_, bulk);
		// A non-temporal store to a line evicts it. (A line only partly stored that was dirty
		// before was written back by prepare_write.)
		mark(l, LineState::Uncached);
	});
	if (bulk)
		set_bulk(cache_.data(), 0);
	std::lock_guard g(m_);
	maybe_evict();
}

void SimBackend::flushed(uint64_t off, uint64_t len)
{
	{
		std::lock_guard g(m_);
		own_pending_to_dirty();
	}
	bool bulk = len > BULK;
	each_line(off, len, [&](uint64_t l) {
		if (state(l) == LineState::Dirty)
			write_back(l, bulk);
	});
	if (bulk)
		set_bulk(cache_.data(), 0);
	std::lock_guard g(m_);
	maybe_evict();
}

void SimBackend::fenced()
{
	std::lock_guard g(m_);
	own_pending_to_dirty();
	maybe_evict();
}

void SimBackend::write_back_all()
{
	std::lock_guard g(m_);
	own_pending_to_dirty();
	for (uint64_t l = 0; l < lines_; l++)
		if (state(l) == LineState::Dirty)
			write_back(l, true);
	dirty_.clear();
}

bool storing_bulk(const std::string &state_dir, int pid)
{
	std::error_code ec;
	const std::string prefix = cache_prefix(pid);
	for (const auto &e : std::filesystem::directory_iterator(state_dir, ec)) {
		std::string n = e.path().filename().string();
		if (n.rfind(prefix, 0) != 0 || !n.ends_with(".cache"))
			continue;
		util::Fd fd(::open(e.path().c_str(), O_RDONLY | O_CLOEXEC));
		CacheHeader h{};
		if (fd && ::pread(fd.get(), &h, sizeof h, 0) == ssize_t(sizeof h) &&
		    std::memcmp(h.magic, CACHE_MAGIC, sizeof h.magic) == 0 && h.bulk)
			return true;
	}
	return false;
}

// ---- DeadCache -----------------------------------------------------------------------------

std::vector<DeadCache> DeadCache::open_all(const std::string &state_dir, int pid, const std::string &pool_path)
{
	std::vector<DeadCache> out;
	std::error_code ec;
	const std::string prefix = cache_prefix(pid);
	for (const auto &e : std::filesystem::directory_iterator(state_dir, ec)) {
		std::string n = e.path().filename().string();
		if (n.rfind(prefix, 0) != 0 || !n.ends_with(".cache"))
			continue;
		FileMap m(e.path().string(), false);
		if (m.size() < PAGE || std::memcmp(m.data(), CACHE_MAGIC, sizeof CACHE_MAGIC) != 0) {
			::unlink(e.path().c_str()); // died while creating it: nothing cached yet
			continue;
		}
		out.push_back(DeadCache(e.path().string(), std::move(m), pool_path));
	}
	return out;
}

DeadCache::DeadCache(std::string path, FileMap cache, const std::string &pool_path)
    : path_(std::move(path)), cache_(std::move(cache)), mem_(std::in_place, pool_path)
{
}

DeadCache::~DeadCache()
{
	if (!path_.empty())
		::unlink(path_.c_str());
}

size_t DeadCache::land_pending(std::mt19937_64 &rng)
{
	const auto *h = reinterpret_cast<const CacheHeader *>(cache_.data());
	auto *st = reinterpret_cast<LineState *>(cache_.data() + states_off());
	const uint8_t *shadow = cache_.data() + shadow_off(h->lines);
	size_t landed = 0;
	for (uint64_t l = 0; l < h->lines; l++) {
		if (st[l] != LineState::Pending)
			continue;
		if (h->cached_stores) {
			st[l] = LineState::Dirty; // a cached store: in its cache, written back later
			continue;
		}
		for (unsigned w = 0; w < WORDS; w++) {
			uint64_t off = l * LINE + w * 8, v;
			std::memcpy(&v, shadow + off, 8);
			if (v != mem_->load(off) && rng() % 2) {
				mem_->store(off, v);
				landed++;
			}
		}
		st[l] = LineState::Uncached;
	}
	return landed;
}

size_t DeadCache::dirty_lines() const
{
	const auto *h = reinterpret_cast<const CacheHeader *>(cache_.data());
	const auto *st = reinterpret_cast<const LineState *>(cache_.data() + states_off());
	return static_cast<size_t>(std::count(st, st + h->lines, LineState::Dirty));
}

size_t DeadCache::write_back_dirty(std::mt19937_64 &rng)
{
	const auto *h = reinterpret_cast<const CacheHeader *>(cache_.data());
	auto *st = reinterpret_cast<LineState *>(cache_.data() + states_off());
	const uint8_t *shadow = cache_.data() + shadow_off(h->lines);
	size_t n = 0;
	for (uint64_t l = 0; l < h->lines; l++)
		if (st[l] == LineState::Dirty) {
			mem_->store_line(l, shadow + l * LINE, 0, WORDS, rng, true);
			st[l] = LineState::Clean;
			n++;
		}
	return n;
}

} // namespace daxpool::sim
