/* SPDX-License-Identifier: MIT */
/*
 * thread.h - green threads: greenlets whose parent is the hub, each with a
 * joinable, reference-counted handle.
 */
#ifndef GREEN_HUB_THREAD_H
#define GREEN_HUB_THREAD_H

#include "loop.h"

enum { GT_NEW = 0, GT_RUNNING = 1, GT_DONE = 2 };

/* Called on the hub's thread when a green thread finishes (a pool frees
 * its slot); ctx is what spawn was given. */
typedef void (*green_hub__done_fn)(void *ctx);

struct green_gthread {
    struct green_hub__obj obj;   /* its hub: first */
    struct green_hub__task task; /* g: its worker greenlet while it has
                                  * one (not when finished, nor for a
                                  * pool's inline run) */
    /* Handle references, + 1 while the hub holds it: atomic, since a
     * finished handle may be released on any thread. */
    long refs;
    /* GT_*: written with a release store (GT_DONE publishes kind and
     * result to other threads). */
    int state;
    int kind; /* GREEN_OK, GREEN_THROWN, GREEN_EXIT or a start error */
    green_task_fn fn;
    void *arg;
    void *result;
    struct green_hub__list joiners;
    struct waiter start; /* on the run queue until it starts */
    /* On the hub's list of unfinished threads, then on a list of spare
     * handles once freed. */
    struct green_hub__link link;
    green_hub__done_fn on_done;
    void *ctx; /* on_done's argument: its pool */
};

/* Creates a green thread of h (see green_hub_spawn); on_done (may be NULL)
 * is called with ctx when it finishes, also if it never starts. */
HUB_HIDDEN int green_hub__spawn(struct hub *h, struct green_gthread **out,
                                green_task_fn fn, void *arg,
                                green_hub__done_fn on_done, void *ctx);

/* An already finished handle (a pool's inline run); NULL if out of
 * memory. */
HUB_HIDDEN struct green_gthread *
green_hub__thread_finished(struct hub *h, int kind, void *result);

/* What a task function's return code means for its joiners. */
HUB_HIDDEN int green_hub__task_kind(int rc);

/* Kills the unfinished green threads of h and runs them until none is
 * left: GREEN_OK, GREEN_EBUSY (one ignores its kill), or an error of
 * the wait. */
HUB_HIDDEN int green_hub__threads_stop(struct hub *h);

/* Frees h's parked workers and spare handles (h->destroying is set). */
HUB_HIDDEN void green_hub__threads_free(struct hub *h);

#endif /* GREEN_HUB_THREAD_H */
