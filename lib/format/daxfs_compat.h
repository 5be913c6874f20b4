/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daxfs_compat.h - the few things the shared format code needs, from the kernel or from libc.
 */
#ifndef DAXFS_COMPAT_H
#define DAXFS_COMPAT_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>

/* Long validations (millions of inodes) must not hog the CPU. */
#define daxfs_resched() cond_resched()
#else
#include <endian.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define le16_to_cpu(x) le16toh(x)
#define le32_to_cpu(x) le32toh(x)
#define le64_to_cpu(x) le64toh(x)
#define cpu_to_le16(x) htole16(x)
#define cpu_to_le32(x) htole32(x)
#define cpu_to_le64(x) htole64(x)

#define daxfs_resched() do { } while (0)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#endif

#ifdef __cplusplus
#define DAXFS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define DAXFS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#endif /* DAXFS_COMPAT_H */
