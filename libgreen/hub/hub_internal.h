/* SPDX-License-Identifier: MIT */
/*
 * hub_internal.h - libgreen-hub's private declarations.
 *
 * Everything that blocks goes through a `struct waiter`, which lives on the
 * blocked greenlet's stack for the duration of the blocking call. A waiter
 * is on at most one list at a time (the run queue, an fd's readers or
 * writers, or a wait list of a sync object), may also sit in the timer
 * heap, and is moved to the run queue by hub_wake().
 */
#ifndef GREEN_HUB_INTERNAL_H
#define GREEN_HUB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "green_hub.h"

#define HUB_HIDDEN __attribute__((visibility("hidden")))
#define hub_likely(x) __builtin_expect(!!(x), 1)
#define hub_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Fields that another OS thread may read: a green thread's state and
 * reference count, and what the read-only queries report (green_hub.h,
 * "Threads"). The owning thread writes them with these atomic stores and
 * may read them plainly; other threads read them with HUB_GET. Relaxed
 * loads and stores compile to plain moves on x86-64 and aarch64.
 */
#define HUB_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
#define HUB_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

struct waiter;

struct wlist {
    struct waiter *head, *tail;
    size_t n;
};

struct waiter {
    struct waiter *prev, *next;
    struct wlist *list;          /* the list it is on, or NULL */
    struct waiter *fprev, *fnext; /* hub's list of blocked non-green-threads */
    green_t *g;                  /* the blocked greenlet */
    struct green_gthread *gt;    /* its green thread, or NULL */
    int code;                    /* what the blocking call returns */
    unsigned char handoff;       /* woken with something handed over */
    unsigned char fdwait;        /* counted in hub->nfdwait */
    unsigned char foreign;       /* on hub->foreign */
    size_t heap_idx;             /* 1-based index in the timer heap, or 0 */
    int64_t deadline;            /* ns, CLOCK_MONOTONIC */
    uint64_t seq;                /* FIFO order among equal deadlines */
    void *value;                 /* handed-over value (queue, event) */
};

struct fdrec {
    struct wlist readers, writers;
    unsigned char registered; /* in the epoll set */
    unsigned char nonblock;   /* O_NONBLOCK known to be set */
    /* A byte stream (TCP or unix stream socket, pipe): a read shorter than
     * asked for means the fd was drained at that moment. */
    unsigned char stream;
    /* 0 only if the fd is registered, was drained, and epoll has reported
     * no input since: green_hub_read() then waits without trying read(). */
    unsigned char rready;
    /* epoll reported a hang-up or an error: a short read may be followed
     * by end of file or an error, so it no longer clears rready. */
    unsigned char hup;
};

enum { GT_NEW = 0, GT_RUNNING = 1, GT_DONE = 2 };

struct green_gthread {
    /* Handle references, + 1 while the hub holds it: atomic, since a
     * finished handle may be released on any thread. */
    long refs;
    struct hub *hub;
    green_t *g; /* its worker greenlet while it has one (not when finished
                 * or for a pool's inline run) */
    green_task_fn fn;
    void *arg;
    int state; /* GT_*: written with a release store (GT_DONE publishes
                * kind and result to other threads) */
    int killed;
    int kind; /* GREEN_OK, GREEN_THROWN, GREEN_EXIT or a start error */
    void *result;
    struct wlist joiners;
    struct waiter start;    /* on the run queue until it starts */
    struct waiter *blocked; /* the waiter of its pending blocking call */
    struct green_pool *pool;
    struct green_gthread *lprev, *lnext; /* hub's unfinished threads */
};

struct hub {
    green_t *g;
    int epfd;
    int stopping;
    int destroying;
    struct wlist runq;
    struct waiter **heap;
    size_t nheap, capheap;
    uint64_t seq;
    struct fdrec **fds;
    size_t nfds;
    size_t nfdwait;
    struct waiter *foreign; /* blocked greenlets that are not green threads */
    struct green_gthread *current;  /* the green thread the hub resumed */
    struct green_gthread *finished; /* set by a green thread as it ends */
    struct green_gthread live;      /* sentinel of unfinished threads */
    size_t nlive;
    /* Worker greenlets parked after their green thread finished, reused
     * by the next spawns (no greenlet creation, no stack mapping). */
    green_t **idle;
    size_t nidle;
    green_t *dead_worker; /* a worker that returned: release it */
    /* Freed handles kept for the next spawns (linked through lnext). */
    struct green_gthread *spare;
    size_t nspare;
};

/* The most freed handles a hub keeps. */
#define HUB_SPARE_MAX 256

/* The most parked workers a hub keeps. */
#define HUB_IDLE_MAX 1024

/* ---- lists ---- */

static inline void wl_push(struct wlist *l, struct waiter *w)
{
    w->next = NULL;
    w->prev = l->tail;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    HUB_SET(l->n, l->n + 1);
    w->list = l;
}

static inline void wl_remove(struct waiter *w)
{
    struct wlist *l = w->list;
    if (!l)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    HUB_SET(l->n, l->n - 1);
    w->prev = w->next = NULL;
    w->list = NULL;
}

static inline struct waiter *wl_pop(struct wlist *l)
{
    struct waiter *w = l->head;
    if (w)
        wl_remove(w);
    return w;
}

static inline void waiter_init(struct waiter *w)
{
    *w = (struct waiter){0};
}

/* ---- hub.c ---- */

/* The calling thread's hub, or NULL. */
HUB_HIDDEN struct hub *hub_peek(void);
/* The calling thread's hub, created if needed; NULL if out of memory. */
HUB_HIDDEN struct hub *hub_get(void);
/*
 * Checks that the caller may block on h: GREEN_OK, GREEN_EHUB (on the hub
 * greenlet or while it is destroyed), GREEN_EXIT (a killed green thread).
 */
HUB_HIDDEN int hub_can_block(struct hub *h);
/*
 * Suspends the current greenlet until w is woken. w may already be on a
 * wait list. timeout < 0: no limit; 0: return GREEN_ETIMEDOUT at once
 * (after detaching w). Returns the wake code, GREEN_EXIT, or an error.
 * Always returns with w detached from everything.
 */
HUB_HIDDEN int hub_block(struct hub *h, struct waiter *w, double timeout);
/* Moves w to the run queue with code (see hub.c for the EXIT rule). */
HUB_HIDDEN void hub_wake(struct hub *h, struct waiter *w, int code);
/* Wakes every waiter of l with code. */
HUB_HIDDEN void hub_wake_all(struct hub *h, struct wlist *l, int code);
/* Validates a timeout: GREEN_OK or GREEN_EINVAL (NaN). */
HUB_HIDDEN int hub_check_timeout(double timeout);
/* Creates a green thread (see green_hub_spawn); pool may be NULL. */
HUB_HIDDEN int hub_spawn(struct hub *h, struct green_gthread **out,
                         green_task_fn fn, void *arg,
                         struct green_pool *pool);
/* Creates an already finished handle (a pool's inline run). */
HUB_HIDDEN struct green_gthread *hub_thread_done(struct hub *h, int kind,
                                                 void *result);
/* Normalises what a task function returned. */
HUB_HIDDEN int hub_task_kind(int rc);

/* GREEN_EKILLED if the caller is a killed green thread of h, else
 * GREEN_OK: every blocking function checks this first, so that a killed
 * thread's loops end even where nothing would block. */
static inline int hub_killed(const struct hub *h)
{
    const struct green_gthread *gt = h->current;
    if (hub_unlikely(gt != NULL && gt->killed) && gt->g == green_current())
        return GREEN_EKILLED;
    return GREEN_OK;
}

/* ---- sync.c ---- */

/* A green thread of pool finished: frees its slot. */
HUB_HIDDEN void hub_pool_slot_free(struct green_pool *pool);

#endif /* GREEN_HUB_INTERNAL_H */
