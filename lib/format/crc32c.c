// SPDX-License-Identifier: GPL-2.0-only
/*
 * crc32c.c - CRC-32C for the shared format code: the kernel's built-in __crc32c_le() in the
 * module, a small implementation in userspace (SSE4.2 instruction when the CPU has it, a table
 * otherwise).
 */
#include "daxfs_format.h"

#ifdef __KERNEL__
#include <linux/crc32.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/version.h>

/* 6.14: the CRC library's CRC-32C is crc32c(); __crc32c_le() went away. Same raw value. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define daxfs_crc32c_raw crc32c
#else
#define daxfs_crc32c_raw __crc32c_le
#endif

/*
 * The raw CRC-32C is built into the kernel (lib/crc32.c): no libcrc32c / crypto module needed.
 * The metadata of a big image is many MiB: 1 MiB at a time, rescheduling in between (the only
 * callers are the validator's, at mount, where sleeping is fine).
 */
u32 daxfs_crc32c(const void *buf, size_t len)
{
	const u8 *p = buf;
	u32 crc = ~0u;

	while (len) {
		size_t n = min_t(size_t, len, SZ_1M);

		crc = daxfs_crc32c_raw(crc, p, n);
		p += n;
		len -= n;
		if (len)
			cond_resched();
	}
	return ~crc;
}
#else

static u32 crc_table[256];

__attribute__((constructor)) static void crc_init(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_table[i] = c;
	}
}

static u32 crc_sw(u32 crc, const u8 *p, size_t len)
{
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static u32 crc_hw(u32 crc, const u8 *p, size_t len)
{
	u64 c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((u32)c, *p++);
		len--;
	}
	while (len >= 8) {
		u64 v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((u32)c, *p++);
	return (u32)c;
}
#endif

u32 daxfs_crc32c(const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc_hw(~0u, buf, len);
#endif
	return ~crc_sw(~0u, buf, len);
}
#endif
