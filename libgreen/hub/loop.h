/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the per-thread hub: its event loop, waiters, and the checks and
 * the wait sequence every blocking call goes through.
 *
 * Everything that blocks goes through a `struct waiter`, which lives on the
 * blocked greenlet's stack for the duration of the blocking call. A waiter
 * is on at most one list at a time (the run queue, an fd's readers or
 * writers, or a wait list of a sync object), may also have its timer
 * armed, and is moved to the run queue by green_hub__wake().
 *
 * The loop knows a green thread only as the `struct green_hub__task` it
 * embeds; the layers above keep their per-hub state behind one pointer
 * each (fds, threads), so that dependencies point one way: sockets -> fds
 * -> loop, pools -> threads -> loop, sync -> loop, loop -> timers, list.
 */
#ifndef GREEN_HUB_LOOP_H
#define GREEN_HUB_LOOP_H

#include <stdint.h>
#include <stdlib.h>

#include "base.h"
#include "green_hub.h"
#include "list.h"
#include "timers.h"

struct hub;
struct waiter;

/* What the loop knows of a green thread. */
struct green_hub__task {
    green_t *g;             /* its greenlet while it has one */
    struct waiter *blocked; /* the waiter of its pending blocking call */
    int killed;
};

struct waiter {
    struct green_hub__link link;  /* on the run queue or a wait list */
    struct green_hub__link flink; /* on hub->foreign (not a green thread) */
    struct green_hub__timer timer;
    green_t *g;                   /* the blocked greenlet */
    struct green_hub__task *task; /* its green thread, or NULL */
    /* Resumes it instead of a switch to g (a green thread's start). */
    void (*run)(struct hub *h, struct waiter *w);
    void *value;          /* handed-over value (queue, event) */
    int code;             /* what the blocking call returns */
    unsigned char handoff; /* woken with something handed over */
    unsigned char fdwait;  /* counted in hub->nfdwait */
};

struct green_hub__fds;     /* fd.c */
struct green_hub__threads; /* thread.c */

struct hub {
    green_t *g; /* the hub greenlet, running green_hub__run */
    int epfd;
    int stopping;
    int destroying;
    struct green_hub__list runq;
    struct green_hub__heap timers;
    size_t nfdwait;                 /* waiters on fds */
    struct green_hub__list foreign; /* blocked greenlets, not green threads */
    struct green_hub__task *current; /* the green thread the hub resumed */
    green_t *dead; /* a greenlet that returned: released once it is gone */
    /* epoll reported events on fd: set by fd.c when it registers one. */
    void (*io_ready)(struct hub *h, int fd, uint32_t events);
    struct green_hub__fds *fds;
    struct green_hub__threads *threads;
};

/* The hub and its green threads run on guarded stacks whatever the
 * process's default stack mode: a waiting green thread's wait record lives
 * on its own stack and the hub reads it while the green thread is
 * suspended, which copy mode (where a suspended greenlet's stack is moved
 * to the heap) does not allow. */
HUB_HIDDEN extern const green_attr green_hub__stack_attr;

/* The calling thread's hub, or NULL. */
HUB_HIDDEN extern __thread struct hub *green_hub__tls
    __attribute__((tls_model("initial-exec")));
static inline struct hub *green_hub__peek(void) { return green_hub__tls; }
/* The calling thread's hub, created if needed; NULL if out of memory. */
HUB_HIDDEN struct hub *green_hub__get(void);
/* Stops the hub greenlet, frees the hub; the layers above freed theirs. */
HUB_HIDDEN void green_hub__free(struct hub *h);

/*
 * Checks that the caller may block on h: GREEN_OK, GREEN_EHUB (on the hub
 * greenlet or while it is destroyed), GREEN_EKILLED (a killed green
 * thread).
 */
HUB_HIDDEN int green_hub__can_block(struct hub *h);

/*
 * The wait sequence of every blocking call: puts w on list (if not NULL)
 * and suspends the current greenlet until w is woken, its timeout expires
 * or the caller is killed. w starts zeroed ({0}; the caller may set
 * value). timeout < 0: no limit; 0: GREEN_ETIMEDOUT at once. Returns the
 * wake code, GREEN_EKILLED, GREEN_ETIMEDOUT, GREEN_EHUB or GREEN_ENOMEM,
 * always with w detached from everything.
 */
HUB_HIDDEN int green_hub__wait(struct hub *h, struct green_hub__list *list,
                               struct waiter *w, double timeout);

/* As green_hub__wait() for a wait on an fd's list: counted so that the
 * loop knows epoll may wake someone. */
static inline int green_hub__wait_io(struct hub *h,
                                     struct green_hub__list *list,
                                     struct waiter *w, double timeout)
{
    w->fdwait = 1;
    h->nfdwait++;
    return green_hub__wait(h, list, w, timeout);
}

/* Takes w off its list, its timer and the fd-wait count. */
static inline void green_hub__detach(struct hub *h, struct waiter *w)
{
    green_hub__list_remove(&w->link);
    green_hub__timer_disarm(&h->timers, &w->timer);
    if (w->fdwait) {
        w->fdwait = 0;
        h->nfdwait--;
    }
}

/*
 * Moves w to the run queue with code. If w is already there, only a kill
 * (GREEN_EXIT) changes its code, and not when something was handed over to
 * it (a semaphore unit, a queue item, a pool slot): that call then succeeds
 * and the thread's next blocking call reports the kill.
 */
static inline void green_hub__wake(struct hub *h, struct waiter *w, int code)
{
    if (w->link.list == &h->runq) {
        if (code == GREEN_EXIT && !w->handoff)
            w->code = code;
        return;
    }
    green_hub__detach(h, w);
    w->code = code;
    green_hub__list_push(&h->runq, &w->link);
}

/* The waiter of a list link. */
static inline struct waiter *green_hub__waiter(struct green_hub__link *l)
{
    return l ? hub_container(l, struct waiter, link) : NULL;
}

/* Wakes every waiter of l with code. */
static inline void green_hub__wake_all(struct hub *h,
                                       struct green_hub__list *l, int code)
{
    while (l->head)
        green_hub__wake(h, green_hub__waiter(l->head), code);
}

/* Grants w what was handed over (value) and wakes it: the call it waits in
 * succeeds even if it is killed meanwhile. */
static inline void green_hub__grant(struct hub *h, struct waiter *w,
                                    void *value)
{
    w->value = value;
    w->handoff = 1;
    green_hub__wake(h, w, GREEN_OK);
}


/* GREEN_EKILLED if the caller is a killed green thread of h, else
 * GREEN_OK: every blocking function checks this first, so that a killed
 * thread's loops end even where nothing would block. */
static inline int green_hub__killed(const struct hub *h)
{
    const struct green_hub__task *t = h->current;
    if (hub_unlikely(t != NULL && t->killed) && t->g == green_current())
        return GREEN_EKILLED;
    return GREEN_OK;
}

/* ---- objects ------------------------------------------------------------ */

/* Every object of the API (a green thread handle, a pool, an event, a
 * semaphore, a queue) starts with this: the hub that owns it. */
struct green_hub__obj {
    struct hub *hub;
};

/* The checks every call on an object starts with: GREEN_EINVAL (NULL),
 * GREEN_ETHREAD (another thread's). obj points to a struct that starts
 * with a struct green_hub__obj. */
static inline int green_hub__enter(const void *obj)
{
    if (hub_unlikely(!obj))
        return GREEN_EINVAL;
    const struct green_hub__obj *o = obj;
    return hub_likely(o->hub == green_hub__peek()) ? GREEN_OK
                                                   : GREEN_ETHREAD;
}

/* ... and those of a call that may wait: GREEN_EINVAL (NaN timeout),
 * GREEN_EKILLED (the caller is a killed green thread). */
static inline int green_hub__enter_wait(const void *obj, double timeout)
{
    int rc = green_hub__enter(obj);
    if (rc == GREEN_OK)
        rc = green_hub__check_timeout(timeout);
    if (rc == GREEN_OK)
        rc = green_hub__killed(((const struct green_hub__obj *)obj)->hub);
    return rc;
}

/* A zeroed object of `size` bytes (starting with a struct green_hub__obj)
 * owned by the calling thread's hub; NULL if out of memory. */
static inline void *green_hub__obj_new(size_t size)
{
    struct hub *h = green_hub__get();
    if (!h)
        return NULL;
    struct green_hub__obj *o = calloc(1, size);
    if (o)
        o->hub = h;
    return o;
}

#endif /* GREEN_HUB_LOOP_H */
