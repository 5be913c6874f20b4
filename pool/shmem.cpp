// SPDX-License-Identifier: GPL-2.0-only
#include "pool/shmem.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string_view>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "pool/error.hpp"
#include "pool/layout.hpp"

namespace daxpool::pool {

namespace shmem {

namespace {

[[maybe_unused]] CpuFlush cpu_flags()
{
	CpuFlush f;
#if defined(__x86_64__)
	unsigned a = 0, b = 0, c = 0, d = 0;
	f.clflush = __get_cpuid(1, &a, &b, &c, &d) && (d & (1u << 19));
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		f.clflushopt = b & (1u << 23);
		f.clwb = b & (1u << 24);
	}
#endif
	return f;
}

#if defined(__x86_64__)
inline void clwb(const void *p) { asm volatile("clwb %0" : "+m"(*(volatile char *)p)); }
inline void clflushopt(const void *p) { asm volatile("clflushopt %0" : "+m"(*(volatile char *)p)); }
inline void clflush(const void *p) { asm volatile("clflush %0" : "+m"(*(volatile char *)p)); }
#endif

template <typename F> void each_line(const void *p, size_t len, F f)
{
	if (!len)
		return;
	auto a = reinterpret_cast<uintptr_t>(p) & ~uintptr_t(LINE - 1);
	auto end = reinterpret_cast<uintptr_t>(p) + len;
	for (; a < end; a += LINE)
		f(reinterpret_cast<const void *>(a));
}

} // namespace

FlushKind choose_flush(CpuFlush cpu, const char *want)
{
	std::string_view w(want ? want : "");
	if (w == "clflush" && cpu.clflush)
		return FlushKind::Clflush;
	if (w == "clflushopt" && cpu.clflushopt)
		return FlushKind::Clflushopt;
	return cpu.clwb ? FlushKind::Clwb : cpu.clflushopt ? FlushKind::Clflushopt
		: cpu.clflush ? FlushKind::Clflush : FlushKind::None;
}

FlushKind choose_evict(CpuFlush cpu, const char *want)
{
	std::string_view w(want ? want : "");
	if (cpu.clflushopt && !(w == "clflush" && cpu.clflush))
		return FlushKind::Clflushopt;
	return cpu.clflush ? FlushKind::Clflush : FlushKind::None;
}

FlushKind flush_kind()
{
#if defined(__x86_64__)
	static const FlushKind k = choose_flush(cpu_flags(), std::getenv("DAXPOOL_FLUSH"));
	return k;
#else
	return FlushKind::None;
#endif
}

FlushKind evict_kind()
{
#if defined(__x86_64__)
	static const FlushKind k = choose_evict(cpu_flags(), std::getenv("DAXPOOL_FLUSH"));
	return k;
#else
	return FlushKind::None;
#endif
}

const char *flush_name(FlushKind k)
{
	switch (k) {
	case FlushKind::Clwb: return "clwb";
	case FlushKind::Clflushopt: return "clflushopt";
	case FlushKind::Clflush: return "clflush";
	case FlushKind::None: break;
	}
	return "none";
}

void fence()
{
#if defined(__x86_64__)
	// sfence orders clwb/clflushopt; clflush is ordered by mfence (and mfence also orders
	// the loads that follow an invalidation).
	if (flush_kind() == FlushKind::Clflush)
		asm volatile("mfence" ::: "memory");
	else
		asm volatile("sfence" ::: "memory");
#else
	std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

void flush_range(const void *p, size_t len)
{
#if defined(__x86_64__)
	switch (flush_kind()) {
	case FlushKind::Clwb: each_line(p, len, clwb); break;
	case FlushKind::Clflushopt: each_line(p, len, clflushopt); break;
	case FlushKind::Clflush: each_line(p, len, clflush); break;
	case FlushKind::None: break;
	}
#else
	(void)p;
	(void)len;
#endif
}

void invalidate_range(const void *p, size_t len)
{
#if defined(__x86_64__)
	asm volatile("mfence" ::: "memory");
	// Evict, never clwb (it may keep the line); clflushopt only where the CPU has it, whatever
	// flush_range uses.
	if (evict_kind() == FlushKind::Clflushopt)
		each_line(p, len, clflushopt);
	else if (evict_kind() == FlushKind::Clflush)
		each_line(p, len, clflush);
	asm volatile("mfence" ::: "memory");
#else
	(void)p;
	(void)len;
	std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

#if defined(__x86_64__)
namespace {

// The 8-byte word at w with bytes [at, at + n) replaced by src, stored non-temporally. Only at
// the unaligned edges of a store: the line is evicted first so the bytes kept come from memory.
void nt_merge_word(uint8_t *w, size_t at, const uint8_t *src, size_t n)
{
	invalidate_range(w, 8);
	uint64_t v;
	std::memcpy(&v, w, 8);
	if (src)
		std::memcpy(reinterpret_cast<uint8_t *>(&v) + at, src, n);
	else
		std::memset(reinterpret_cast<uint8_t *>(&v) + at, 0, n);
	_mm_stream_si64(reinterpret_cast<long long *>(w), static_cast<long long>(v));
}

} // namespace
#endif

void nt_store(void *dst_, const void *src_, size_t len)
{
	auto *dst = static_cast<uint8_t *>(dst_);
	const auto *src = static_cast<const uint8_t *>(src_); // nullptr: store zeros
#if defined(__x86_64__)
	if (len && (reinterpret_cast<uintptr_t>(dst) & 7)) {
		auto *w = reinterpret_cast<uint8_t *>(reinterpret_cast<uintptr_t>(dst) & ~uintptr_t(7));
		size_t at = size_t(dst - w), n = std::min(8 - at, len);
		nt_merge_word(w, at, src, n);
		dst += n;
		src = src ? src + n : nullptr;
		len -= n;
	}
	auto word = [&](size_t i) {
		long long v = 0;
		if (src)
			std::memcpy(&v, src + i, 8);
		_mm_stream_si64(reinterpret_cast<long long *>(dst + i), v);
	};
	size_t i = 0;
	for (; len - i >= 8 && (reinterpret_cast<uintptr_t>(dst + i) & 15); i += 8)
		word(i);
	const __m128i z = _mm_setzero_si128();
	for (; len - i >= 16; i += 16)
		_mm_stream_si128(reinterpret_cast<__m128i *>(dst + i),
				 src ? _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i)) : z);
	for (; len - i >= 8; i += 8)
		word(i);
	if (i < len)
		nt_merge_word(dst + i, 0, src ? src + i : nullptr, len - i);
#else
	if (src)
		std::memcpy(dst, src, len);
	else
		std::memset(dst, 0, len);
#endif
}

} // namespace shmem

void Shared::check(uint64_t off, uint64_t len) const
{
	if (off > size_ || len > size_ - off)
		throw Error("internal error: pool access [" + std::to_string(off) + ", +" + std::to_string(len) +
			    ") outside the " + std::to_string(size_) + "-byte mapping of " + b_.describe());
}

void Shared::read(uint64_t off, std::span<uint8_t> out) const
{
	check(off, out.size());
	b_.fetch(off, out.size());
	shmem::invalidate_range(base_ + off, out.size());
	std::memcpy(out.data(), base_ + off, out.size());
}

std::span<const uint8_t> Shared::view(uint64_t off, uint64_t len) const
{
	check(off, len);
	b_.fetch(off, len);
	shmem::invalidate_range(base_ + off, len);
	return {base_ + off, static_cast<size_t>(len)};
}

void Shared::write(uint64_t off, std::span<const uint8_t> in)
{
	check(off, in.size());
	b_.prepare_write(off, in.size());
	shmem::nt_store(base_ + off, in.data(), in.size());
	b_.stored_nt(off, in.size());
}

void Shared::zero(uint64_t off, uint64_t len)
{
	check(off, len);
	b_.prepare_write(off, len);
	shmem::nt_store(base_ + off, nullptr, len);
	b_.stored_nt(off, len);
}

void Shared::flush(uint64_t off, uint64_t len)
{
	check(off, len);
	shmem::flush_range(base_ + off, len);
	b_.flushed(off, len);
}

void Shared::durable(uint64_t off, uint64_t len)
{
	check(off, len);
	shmem::fence();
	b_.fenced();
	b_.sync(off, len);
}

void Shared::publish(uint64_t off, uint64_t len)
{
	flush(off, len);
	shmem::fence();
	b_.fenced();
	b_.publish(off, len);
}

void Shared::persist(uint64_t off, uint64_t len)
{
	flush(off, len);
	durable(off, len);
}

} // namespace daxpool::pool
