/* SPDX-License-Identifier: MIT */
/*
 * base.h - what every file of libgreen-hub uses: visibility, branch hints,
 * the cross-thread field accessors and container_of.
 */
#ifndef GREEN_HUB_BASE_H
#define GREEN_HUB_BASE_H

#include <stddef.h>

#define HUB_HIDDEN __attribute__((visibility("hidden")))
#define hub_likely(x) __builtin_expect(!!(x), 1)
#define hub_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Fields that another OS thread may read: a green thread's state, and what
 * the read-only queries report (green_hub.h, "Threads"). The owning thread
 * writes them with HUB_SET and may read them plainly; other threads read
 * them with HUB_GET. Relaxed loads and stores compile to plain moves on
 * x86-64 and aarch64.
 */
#define HUB_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
#define HUB_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

/* The struct of type `type` whose member `member` is at ptr. */
#define hub_container(ptr, type, member)                                   \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif /* GREEN_HUB_BASE_H */
