/* SPDX-License-Identifier: MIT */
/*
 * bodies.c - greenlet bodies for the tests, the examples and the
 * benchmark. Each yields to its parent, read again before every switch
 * since the parent may change.
 */
#define _GNU_SOURCE
#include "bodies.h"

#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_long cleanups;
static atomic_long cleanup_tid;

static int to_parent(green_t *self, uintptr_t v, uintptr_t *back)
{
    green_t *parent;
    void *r = NULL;
    green_get_parent(self, &parent);
    int rc = green_switch(parent, (void *)v, &r);
    *back = (uintptr_t)r;
    return rc;
}

/* Records that a body ran its cleanup, and on which thread. */
static void cleaned_up(void)
{
    atomic_store(&cleanup_tid, (long)syscall(SYS_gettid));
    atomic_fetch_add(&cleanups, 1);
}

/*
 * Counts up: yields 1, 2, ..., n for in = n, then returns n. A value sent
 * back is ignored. Killed (exit), it returns GREEN_EXIT with the last
 * count; a thrown payload ends it with that payload thrown to its parent.
 */
int gb_counter(green_t *self, void *in, void **out)
{
    uintptr_t n = (uintptr_t)in, back;
    for (uintptr_t i = 1; i <= n; i++) {
        int rc = to_parent(self, i, &back);
        if (rc == GREEN_EXIT) {
            cleaned_up();
            *out = (void *)i;
            return GREEN_EXIT;
        }
        if (rc != GREEN_OK) {
            *out = (void *)back;
            return GREEN_THROWN;
        }
    }
    *out = (void *)n;
    return GREEN_OK;
}

/* Switches every value it receives back to its parent. Ends with what
 * ended it: a thrown payload is thrown on, exit finishes it with the exit
 * payload as its result. */
int gb_echo(green_t *self, void *in, void **out)
{
    uintptr_t v = (uintptr_t)in;
    for (;;) {
        int rc = to_parent(self, v, &v);
        if (rc != GREEN_OK) {
            *out = (void *)v;
            return rc;
        }
    }
}

/* Adds up what it receives and switches back the running total. Killed,
 * it returns the total as its result. */
int gb_accumulator(green_t *self, void *in, void **out)
{
    uintptr_t sum = (uintptr_t)in, v;
    for (;;) {
        int rc = to_parent(self, sum, &v);
        if (rc == GREEN_EXIT) {
            cleaned_up();
            *out = (void *)sum;
            return GREEN_EXIT;
        }
        if (rc != GREEN_OK) {
            *out = (void *)v;
            return rc;
        }
        sum += v;
    }
}

/* Catches thrown payloads: answers a value v with v + 1 and a thrown
 * payload p with p + 1000, and goes on. Killed, it counts a cleanup and
 * returns the exit payload. */
int gb_catcher(green_t *self, void *in, void **out)
{
    uintptr_t v = (uintptr_t)in + 1;
    for (;;) {
        int rc = to_parent(self, v, &v);
        if (rc == GREEN_EXIT) {
            cleaned_up();
            *out = (void *)v;
            return GREEN_EXIT;
        }
        v += rc == GREEN_THROWN ? 1000 : 1;
    }
}

/* Returns twice its input at once. */
int gb_doubler(green_t *self, void *in, void **out)
{
    (void)self;
    *out = (void *)((uintptr_t)in * 2);
    return GREEN_OK;
}

/* Returns its input as an error payload (GREEN_THROWN) at once. */
int gb_thrower(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_THROWN;
}

long gb_cleanups(void) { return atomic_load(&cleanups); }

long gb_cleanup_tid(void) { return atomic_load(&cleanup_tid); }

/* A word of C memory, for passing pointers through greenlets. */
static uintptr_t cell;

void *gb_cell(void) { return &cell; }

/* A hook that counts, in the long that data points to, the switches and
 * throws it sees complete (phase AFTER). */
void gb_counting_hook(void *data, int event, int phase, green_t *origin,
                      green_t *target)
{
    (void)event;
    (void)origin;
    (void)target;
    if (phase == GREEN_PHASE_AFTER)
        atomic_fetch_add((atomic_long *)data, 1);
}

static atomic_long hook_counts[4];

void *gb_hook_counter(int i) { return &hook_counts[i & 3]; }

/*
 * A tokenizer written as a generator: in is a NUL-terminated C string;
 * it yields each space-separated word as (offset << 32 | length) and
 * returns the number of words. Killed, it stops.
 */
int gb_words(green_t *self, void *in, void **out)
{
    const char *s = in;
    uintptr_t n = 0, back;
    size_t i = 0;
    for (;;) {
        while (s[i] == ' ')
            i++;
        if (!s[i])
            break;
        size_t start = i;
        while (s[i] && s[i] != ' ')
            i++;
        n++;
        if (to_parent(self, ((uintptr_t)start << 32) | (i - start), &back) !=
            GREEN_OK) {
            *out = (void *)n;
            return GREEN_EXIT;
        }
    }
    *out = (void *)n;
    return GREEN_OK;
}
