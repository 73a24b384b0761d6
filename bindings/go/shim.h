/* SPDX-License-Identifier: MIT */
/*
 * shim.h - the C half of the Go binding.
 *
 * Go never holds a green_t * directly. It holds a gg_handle: one reference
 * to a greenlet plus a pointer to the binding's record of the OS thread
 * that owns the greenlet. Every call checks, inside the same cgo call that
 * does the work, that it runs on that thread, so that a goroutine that
 * moved to another thread between two calls gets GREEN_ETHREAD instead of
 * a greenlet switched on the wrong stack.
 */
#ifndef GG_SHIM_H
#define GG_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <green.h>

/* Returned for a handle that was closed. Not a libgreen code: the binding's
 * own, chosen far below libgreen's append-only range. */
#define GG_ECLOSED (-1000)

/* Kinds of transfer for gg_xfer(). */
enum { GG_SWITCH = 0, GG_THROW = 1, GG_THROW_EXIT = 2 };

struct gg_thread;
typedef struct gg_handle gg_handle;

int gg_new(gg_handle **out, void *run, gg_handle *parent, size_t stack_size,
           int stack_mode);
int gg_stack_mode(gg_handle *h);
long gg_stack_saved(gg_handle *h);
int gg_set_stack_mode(int mode, int scope);
/* What a switch or throw returns: returned by value so that Go passes no
 * pointer (which would make its result escape to the heap). */
typedef struct gg_result {
    uintptr_t value;
    int rc;
    int state; /* the target's state afterwards (0 if the call failed) */
} gg_result;

/* h is a gg_handle * passed as an integer (see green.go). */
gg_result gg_xfer(int kind, uintptr_t h, uintptr_t value);
int gg_xferp(int kind, gg_handle *h, void *value, void **result);
int gg_state(gg_handle *h);
int gg_is_main(gg_handle *h);
int gg_parent(gg_handle *h, gg_handle **out);
int gg_set_parent(gg_handle *h, gg_handle *parent);
int gg_current(gg_handle **out);
int gg_main(gg_handle **out);
int gg_same(gg_handle *a, gg_handle *b);
int gg_close(gg_handle *h);
void gg_drop(gg_handle *h);
int gg_reap(void);
int gg_hook(int add, void *fn, uintptr_t data);
int gg_owned_here(gg_handle *h);
/* A number naming the calling OS thread, never reused; 0 if out of
 * memory. */
uintptr_t gg_thread_id(void);
/* How many handles Go's cleanups have released (all threads, ever). */
long gg_dropped(void);
/* Whether the caller runs on the process's main thread. */
int gg_on_main_thread(void);
/* The calling thread's record, with a reference for the caller (NULL if
 * out of memory); gg_thread_wait_end() waits up to ms milliseconds for
 * that thread to end (its thread-exit work in this binding done) and
 * returns whether it has; gg_thread_put() drops the reference. */
struct gg_thread *gg_thread_hold(void);
int gg_thread_wait_end(struct gg_thread *t, long ms);
void gg_thread_put(struct gg_thread *t);

#endif
