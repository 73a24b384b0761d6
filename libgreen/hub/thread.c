/* SPDX-License-Identifier: MIT */
/*
 * thread.c - green threads: spawning, the worker greenlets that run them,
 * finishing, joining, killing, and their reference-counted handles.
 *
 * Finished worker greenlets are parked and reused by later spawns, and
 * freed handles are kept for the next spawns, so that a spawn usually
 * costs neither a greenlet nor a stack mapping nor a malloc.
 */
#include <string.h>

#include "thread.h"

/* The most parked workers and spare handles a hub keeps. */
#define IDLE_MAX 1024
#define SPARE_MAX 256

/* A hub's green-thread state. */
struct green_hub__threads {
    struct green_hub__list live; /* unfinished threads */
    green_t **idle;              /* parked workers (IDLE_MAX) */
    size_t nidle;
    struct green_hub__list spare; /* freed handles */
};

static struct green_hub__threads *threads_of(struct hub *h)
{
    if (hub_unlikely(!h->threads)) {
        struct green_hub__threads *ts = calloc(1, sizeof *ts);
        if (ts && !(ts->idle = malloc(IDLE_MAX * sizeof *ts->idle))) {
            free(ts);
            ts = NULL;
        }
        h->threads = ts;
    }
    return h->threads;
}

static struct green_gthread *of_link(struct green_hub__link *l)
{
    return hub_container(l, struct green_gthread, link);
}

/* ---- handles ------------------------------------------------------------- */

/* A zeroed handle of h, from its spares when there are. */
static struct green_gthread *gt_alloc(struct hub *h)
{
    struct green_hub__link *l = green_hub__list_pop(&h->threads->spare);
    struct green_gthread *gt;
    if (l)
        memset(gt = of_link(l), 0, sizeof *gt);
    else if (!(gt = calloc(1, sizeof *gt)))
        return NULL;
    gt->obj.hub = h;
    return gt;
}

/* Drops a reference; any thread. The last one frees gt (it has no
 * greenlet left by then, unless it never started on this thread). */
static void gt_unref(struct green_gthread *gt)
{
    if (__atomic_sub_fetch(&gt->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (gt->task.g)
        green_release(gt->task.g);
    /* Any thread's memory will do for this thread's next spawn. */
    struct hub *h = green_hub__peek();
    struct green_hub__threads *ts = h && !h->destroying ? h->threads : NULL;
    if (ts && ts->spare.n < SPARE_MAX)
        green_hub__list_push(&ts->spare, &gt->link);
    else
        free(gt);
}

/* Drops the hub's hold on a finished gt (its greenlet is dead or new). */
static void gt_reap(struct green_gthread *gt)
{
    green_t *g = gt->task.g;
    gt->task.g = NULL;
    if (g)
        green_release(g);
    gt_unref(gt);
}

int green_hub__task_kind(int rc)
{
    if (rc == GREEN_OK)
        return GREEN_OK;
    if (rc == GREEN_EXIT || rc == GREEN_EKILLED)
        return GREEN_EXIT;
    return GREEN_THROWN;
}

/* Records how gt ended and wakes whoever waits for it. */
static void gt_finish(struct hub *h, struct green_gthread *gt, int kind,
                      void *result)
{
    gt->kind = kind;
    gt->result = result;
    __atomic_store_n(&gt->state, GT_DONE, __ATOMIC_RELEASE);
    green_hub__list_remove(&gt->link);
    green_hub__wake_all(h, &gt->joiners, GREEN_OK);
    if (gt->on_done) {
        green_hub__done_fn done = gt->on_done;
        gt->on_done = NULL;
        done(gt->ctx);
    }
}

/* ---- workers ------------------------------------------------------------- */

/* Parks a worker whose green thread finished; 0 if there is no room. */
static int park(struct hub *h, green_t *g)
{
    struct green_hub__threads *ts = h->threads;
    if (h->stopping || h->destroying || ts->nidle == IDLE_MAX)
        return 0;
    ts->idle[ts->nidle++] = g;
    return 1;
}

/*
 * The body of every worker greenlet: runs a green thread, then parks on the
 * hub's idle list until a spawn hands it the next one. A worker returns
 * (and dies) when there is no room to park, when the hub goes away, or when
 * it is killed while parked (the release of the idle list at destroy).
 */
static int worker_main(green_t *self, void *in, void **out)
{
    struct green_gthread *gt = in;
    struct hub *h = gt->obj.hub;
    *out = NULL;
    for (;;) {
        void *result = NULL;
        HUB_SET(gt->state, GT_RUNNING);
        int rc = gt->task.killed ? GREEN_EKILLED : gt->fn(gt->arg, &result);
        /* The reference gt held on us moves to the idle list, or to the
         * hub, which releases it once we are dead. */
        gt->task.g = NULL;
        gt_finish(h, gt, green_hub__task_kind(rc), result);
        gt_unref(gt); /* the hub's reference: gt is not used after */
        if (!park(h, self))
            break;
        void *next = NULL;
        if (green_switch(h->g, NULL, &next) != GREEN_OK || !next)
            return GREEN_OK; /* killed while parked: the killer owns us */
        gt = next;
    }
    h->dead = self;
    return GREEN_OK;
}

/* Resumes a green thread's start waiter: its first switch. */
static void gt_start(struct hub *h, struct waiter *w)
{
    struct green_gthread *gt = hub_container(w, struct green_gthread, start);
    int rc = green_switch(gt->task.g, gt, NULL);
    if (rc < 0 && gt->state == GT_NEW) {
        /* No stack for it: it ends with the error. */
        gt_finish(h, gt, rc, NULL);
        gt_reap(gt);
    }
}

/* A green thread that never started gives its worker back: a parked worker
 * returns to the idle list, a fresh greenlet is released. */
static void gt_drop_unstarted(struct hub *h, struct green_gthread *gt)
{
    green_hub__list_remove(&gt->start.link);
    green_t *g = gt->task.g;
    if (g && green_state(g) == GREEN_STATE_SUSPENDED && park(h, g))
        gt->task.g = NULL;
    gt_finish(h, gt, GREEN_EXIT, NULL);
    gt_reap(gt);
}

/* ---- spawning ------------------------------------------------------------ */

int green_hub__spawn(struct hub *h, struct green_gthread **out,
                     green_task_fn fn, void *arg, green_hub__done_fn on_done,
                     void *ctx)
{
    if (h->destroying || h->stopping)
        return GREEN_EHUB;
    struct green_hub__threads *ts = threads_of(h);
    if (!ts)
        return GREEN_ENOMEM;
    struct green_gthread *gt = gt_alloc(h);
    if (!gt)
        return GREEN_ENOMEM;
    if (ts->nidle) {
        gt->task.g = ts->idle[--ts->nidle];
    } else {
        int rc = green_create(&gt->task.g, worker_main, h->g,
                              &green_hub__stack_attr);
        if (rc != GREEN_OK) {
            free(gt);
            return rc == GREEN_EINVAL ? GREEN_ENOMEM : rc;
        }
    }
    gt->refs = out ? 2 : 1;
    gt->fn = fn;
    gt->arg = arg;
    gt->state = GT_NEW;
    gt->on_done = on_done;
    gt->ctx = ctx;
    gt->start.g = gt->task.g;
    gt->start.task = &gt->task;
    gt->start.run = gt_start;
    green_hub__list_push(&ts->live, &gt->link);
    green_hub__list_push(&h->runq, &gt->start.link);
    if (out)
        *out = gt;
    return GREEN_OK;
}

struct green_gthread *green_hub__thread_finished(struct hub *h, int kind,
                                                 void *result)
{
    if (!threads_of(h))
        return NULL;
    struct green_gthread *gt = gt_alloc(h);
    if (!gt)
        return NULL;
    gt->refs = 1;
    gt->state = GT_DONE;
    gt->kind = kind;
    gt->result = result;
    return gt;
}

int green_hub_spawn(green_thread_t **out, green_task_fn fn, void *arg)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (!fn)
        return GREEN_EINVAL;
    struct hub *h = green_hub__get();
    if (!h)
        return GREEN_ENOMEM;
    return green_hub__spawn(h, out, fn, arg, NULL, NULL);
}

int green_hub_spawn_n(green_task_fn fn, void *arg)
{
    if (!fn)
        return GREEN_EINVAL;
    struct hub *h = green_hub__get();
    if (!h)
        return GREEN_ENOMEM;
    return green_hub__spawn(h, NULL, fn, arg, NULL, NULL);
}

/* ---- the handle API ------------------------------------------------------ */

/* Is t the green thread running now? */
static int is_caller(const struct hub *h, const struct green_gthread *t)
{
    return h->current == &t->task && t->task.g == green_current();
}

int green_thread_wait(green_thread_t *t, double timeout, void **result)
{
    int rc = green_hub__enter_wait(t, timeout);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = t->obj.hub;
    if (t->state != GT_DONE) {
        if (is_caller(h, t))
            return GREEN_EINVAL;
        struct waiter w = {0};
        rc = green_hub__wait(h, &t->joiners, &w, timeout);
        if (rc != GREEN_OK)
            return rc;
        if (t->state != GT_DONE)
            return GREEN_ETIMEDOUT;
    }
    if (result)
        *result = t->result;
    return t->kind;
}

int green_thread_kill(green_thread_t *t)
{
    int rc = green_hub__enter(t);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = t->obj.hub;
    if (t->state == GT_DONE)
        return GREEN_OK;
    t->task.killed = 1;
    if (is_caller(h, t))
        return GREEN_EKILLED;
    if (t->state == GT_NEW) {
        gt_drop_unstarted(h, t);
        return GREEN_OK;
    }
    if (t->task.blocked)
        green_hub__wake(h, t->task.blocked, GREEN_EXIT);
    /* Let the victim unwind before we return, as eventlet does. */
    if (green_hub__can_block(h) == GREEN_OK)
        green_hub_yield();
    return GREEN_OK;
}

int green_thread_done(const green_thread_t *t)
{
    if (!t)
        return GREEN_EINVAL;
    return __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == GT_DONE;
}

int green_thread_retain(green_thread_t *t)
{
    int rc = green_hub__enter(t);
    if (rc != GREEN_OK)
        return rc;
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return GREEN_OK;
}

int green_thread_release(green_thread_t *t)
{
    if (!t)
        return GREEN_EINVAL;
    /* A finished handle outlives its hub: it may be released after
     * green_hub_destroy(), and on any thread. */
    if (!green_thread_done(t) && t->obj.hub != green_hub__peek())
        return GREEN_ETHREAD;
    gt_unref(t);
    return GREEN_OK;
}

green_thread_t *green_thread_current(void)
{
    struct hub *h = green_hub__peek();
    if (h && h->current && h->current->g == green_current())
        return hub_container(h->current, struct green_gthread, task);
    return NULL;
}

size_t green_hub_count(void)
{
    struct hub *h = green_hub__peek();
    return h && h->threads ? h->threads->live.n : 0;
}

/* ---- teardown ------------------------------------------------------------ */

/* Kills every unfinished green thread of h, without yielding. */
static void kill_all(struct hub *h)
{
    struct green_hub__link *l = h->threads->live.head, *next;
    for (; l; l = next) {
        next = l->next;
        struct green_gthread *gt = of_link(l);
        if (gt->task.killed)
            continue;
        gt->task.killed = 1;
        if (gt->state == GT_NEW)
            gt_drop_unstarted(h, gt);
        else if (gt->task.blocked)
            green_hub__wake(h, gt->task.blocked, GREEN_EXIT);
    }
}

int green_hub__threads_stop(struct hub *h)
{
    struct green_hub__threads *ts = h->threads;
    if (!ts)
        return GREEN_OK;
    /* Kill and run the unfinished threads until none is left; give up if
     * a round makes no progress many times over. */
    unsigned stalled = 0;
    while (ts->live.n && stalled < 1000) {
        size_t before = ts->live.n;
        kill_all(h);
        if (!ts->live.n)
            break;
        struct waiter w = {0};
        int rc = green_hub__wait(h, &h->runq, &w, GREEN_HUB_FOREVER);
        if (rc < 0 && rc != GREEN_EDEADLK)
            return rc;
        stalled = ts->live.n < before ? 0 : stalled + 1;
    }
    return ts->live.n ? GREEN_EBUSY : GREEN_OK;
}

void green_hub__threads_free(struct hub *h)
{
    struct green_hub__threads *ts = h->threads;
    if (!ts)
        return;
    /* Parked workers: releasing each kills it (it returns at once). */
    while (ts->nidle)
        green_release(ts->idle[--ts->nidle]);
    free(ts->idle);
    struct green_hub__link *l;
    while ((l = green_hub__list_pop(&ts->spare)) != NULL)
        free(of_link(l));
    free(ts);
    h->threads = NULL;
}
