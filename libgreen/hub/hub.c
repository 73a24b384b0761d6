/* SPDX-License-Identifier: MIT */
/*
 * hub.c - the per-thread hub: run queue, timer heap, epoll, green threads.
 *
 * The hub is a greenlet whose run function loops: it resumes every waiter
 * on the run queue, then waits in epoll_wait() for fd readiness or the
 * next timer, and moves what became ready to the run queue. Green threads
 * are greenlets whose parent is the hub, so a finishing green thread lands
 * back in the hub's pending switch.
 *
 * Fds are registered once, edge-triggered, for both directions; a wait is
 * only started after an attempt showed the fd not ready (EAGAIN, or a
 * zero-timeout poll()), so an edge can never be missed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hub_internal.h"

static __thread struct hub *tls_hub __attribute__((tls_model("initial-exec")));

int green_hub_version(void)
{
    return GREEN_HUB_VERSION_MAJOR * 10000 + GREEN_HUB_VERSION_MINOR * 100 +
           GREEN_HUB_VERSION_PATCH;
}

/* ---- errors -------------------------------------------------------------- */

static const struct {
    int code;
    const char *name;
    const char *text;
} hub_codes[] = {
    {GREEN_ETIMEDOUT, "GREEN_ETIMEDOUT", "the timeout expired"},
    {GREEN_ECLOSED, "GREEN_ECLOSED", "the descriptor or queue was closed"},
    {GREEN_EDEADLK, "GREEN_EDEADLK",
     "nothing is left that could wake the caller"},
    {GREEN_EHUB, "GREEN_EHUB", "blocking call made on the hub greenlet"},
    {GREEN_ESYS, "GREEN_ESYS", "a system call failed (see errno)"},
    {GREEN_EKILLED, "GREEN_EKILLED", "the calling green thread was killed"},
};

const char *green_hub_error_name(int code)
{
    for (size_t i = 0; i < sizeof hub_codes / sizeof hub_codes[0]; i++)
        if (hub_codes[i].code == code)
            return hub_codes[i].name;
    return green_error_name(code);
}

const char *green_hub_strerror(int code)
{
    for (size_t i = 0; i < sizeof hub_codes / sizeof hub_codes[0]; i++)
        if (hub_codes[i].code == code)
            return hub_codes[i].text;
    return green_strerror(code);
}

/* ---- time ---------------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double green_hub_now(void) { return (double)now_ns() / 1e9; }

int hub_check_timeout(double timeout)
{
    return isnan(timeout) ? GREEN_EINVAL : GREEN_OK;
}

/* ---- timer heap (min-heap on (deadline, seq)) ---------------------------- */

/* The hub and its green threads run on guarded stacks whatever the
 * process's default stack mode: a waiting green thread's wait record lives
 * on its own stack and the hub reads it while the green thread is
 * suspended, which copy mode (where a suspended greenlet's stack is moved
 * to the heap) does not allow. */
static const green_attr hub_stack_attr = {
    sizeof(green_attr), 0, NULL, NULL, GREEN_STACK_GUARDED, 0};

static int timer_less(const struct waiter *a, const struct waiter *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct hub *h, size_t i, struct waiter *w)
{
    h->heap[i] = w;
    w->heap_idx = i + 1;
}

static void heap_up(struct hub *h, size_t i)
{
    struct waiter *w = h->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_less(w, h->heap[p]))
            break;
        heap_set(h, i, h->heap[p]);
        i = p;
    }
    heap_set(h, i, w);
}

static void heap_down(struct hub *h, size_t i)
{
    struct waiter *w = h->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->nheap)
            break;
        if (c + 1 < h->nheap && timer_less(h->heap[c + 1], h->heap[c]))
            c++;
        if (!timer_less(h->heap[c], w))
            break;
        heap_set(h, i, h->heap[c]);
        i = c;
    }
    heap_set(h, i, w);
}

static int timer_add(struct hub *h, struct waiter *w, double timeout)
{
    if (h->nheap == h->capheap) {
        size_t cap = h->capheap ? h->capheap * 2 : 64;
        struct waiter **n = realloc(h->heap, cap * sizeof *n);
        if (!n)
            return GREEN_ENOMEM;
        h->heap = n;
        h->capheap = cap;
    }
    int64_t now = now_ns();
    /* Beyond ~292 years is forever for all practical purposes. */
    double ns = timeout * 1e9;
    w->deadline = ns >= (double)(INT64_MAX - now) ? INT64_MAX
                                                  : now + (int64_t)ns;
    w->seq = h->seq++;
    h->heap[h->nheap] = w;
    heap_up(h, h->nheap++);
    return GREEN_OK;
}

static void timer_del(struct hub *h, struct waiter *w)
{
    size_t i = w->heap_idx - 1;
    w->heap_idx = 0;
    struct waiter *last = h->heap[--h->nheap];
    if (i == h->nheap)
        return;
    heap_set(h, i, last);
    if (i > 0 && timer_less(last, h->heap[(i - 1) / 2]))
        heap_up(h, i);
    else
        heap_down(h, i);
}

/* ---- waking -------------------------------------------------------------- */

/* Takes w off its list, the timer heap and the fd-wait count. */
static void waiter_detach(struct hub *h, struct waiter *w)
{
    wl_remove(w);
    if (w->heap_idx)
        timer_del(h, w);
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
void hub_wake(struct hub *h, struct waiter *w, int code)
{
    if (w->list == &h->runq) {
        if (code == GREEN_EXIT && !w->handoff)
            w->code = code;
        return;
    }
    waiter_detach(h, w);
    w->code = code;
    wl_push(&h->runq, w);
}

void hub_wake_all(struct hub *h, struct wlist *l, int code)
{
    struct waiter *w;
    while ((w = l->head) != NULL)
        hub_wake(h, w, code);
}

/* ---- green threads: finishing -------------------------------------------- */

int hub_task_kind(int rc)
{
    if (rc == GREEN_OK)
        return GREEN_OK;
    if (rc == GREEN_EXIT || rc == GREEN_EKILLED)
        return GREEN_EXIT;
    return GREEN_THROWN;
}

/* A zeroed handle, from the calling thread's spares when there are. */
static struct green_gthread *gt_alloc(struct hub *h)
{
    struct green_gthread *gt = h->spare;
    if (!gt)
        return calloc(1, sizeof *gt);
    h->spare = gt->lnext;
    h->nspare--;
    memset(gt, 0, sizeof *gt);
    return gt;
}

static void gt_unref(struct green_gthread *gt)
{
    if (--gt->refs == 0) {
        if (gt->g)
            green_release(gt->g);
        /* Any thread's memory will do for this thread's next spawn. */
        struct hub *h = tls_hub;
        if (h && !h->destroying && h->nspare < HUB_SPARE_MAX) {
            gt->lnext = h->spare;
            h->spare = gt;
            h->nspare++;
        } else {
            free(gt);
        }
    }
}

/* Records how gt ended and wakes whoever waits for it. */
static void gt_finish(struct hub *h, struct green_gthread *gt, int kind,
                      void *result)
{
    gt->kind = kind;
    gt->result = result;
    gt->state = GT_DONE;
    gt->lprev->lnext = gt->lnext;
    gt->lnext->lprev = gt->lprev;
    gt->lprev = gt->lnext = NULL;
    h->nlive--;
    hub_wake_all(h, &gt->joiners, GREEN_OK);
    if (gt->pool) {
        struct green_pool *pool = gt->pool;
        gt->pool = NULL;
        hub_pool_slot_free(pool);
    }
}

/* Drops the hub's hold on a finished gt (its greenlet is dead or new). */
static void gt_reap(struct green_gthread *gt)
{
    green_t *g = gt->g;
    gt->g = NULL;
    if (g)
        green_release(g);
    gt_unref(gt);
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
    struct hub *h = gt->hub;
    *out = NULL;
    for (;;) {
        void *result = NULL;
        gt->state = GT_RUNNING;
        int rc = gt->killed ? GREEN_EKILLED : gt->fn(gt->arg, &result);
        /* The reference gt held on us moves to the idle list, or to the
         * hub, which releases it once we are dead. */
        gt->g = NULL;
        gt_finish(h, gt, hub_task_kind(rc), result);
        h->finished = gt;
        if (h->stopping || h->destroying || h->nidle == HUB_IDLE_MAX ||
            (!h->idle && !(h->idle = malloc(HUB_IDLE_MAX * sizeof *h->idle))))
            break;
        h->idle[h->nidle++] = self;
        void *next = NULL;
        if (green_switch(h->g, NULL, &next) != GREEN_OK || !next)
            return GREEN_OK; /* killed while parked: the killer owns us */
        gt = next;
    }
    h->dead_worker = self;
    return GREEN_OK;
}

/* A green thread that never started gives its worker back: a parked worker
 * returns to the idle list, a fresh greenlet is released. */
static void gt_drop_unstarted(struct hub *h, struct green_gthread *gt)
{
    wl_remove(&gt->start);
    green_t *g = gt->g;
    if (g && green_state(g) == GREEN_STATE_SUSPENDED &&
        h->nidle < HUB_IDLE_MAX && h->idle) {
        h->idle[h->nidle++] = g;
        gt->g = NULL;
    }
    gt_finish(h, gt, GREEN_EXIT, NULL);
    gt_reap(gt);
}

/* ---- the loop ------------------------------------------------------------ */

static void resume(struct hub *h, struct waiter *w)
{
    struct green_gthread *gt = w->gt;
    h->current = gt;
    if (gt && w == &gt->start) {
        int rc = green_switch(gt->g, gt, NULL);
        if (rc < 0 && gt->state == GT_NEW) {
            /* No stack for it: it ends with the error. */
            gt_finish(h, gt, rc, NULL);
            h->finished = gt;
        }
    } else if (w->code == GREEN_EXIT) {
        green_throw_exit(w->g, NULL, NULL);
    } else {
        green_switch(w->g, NULL, NULL);
    }
    h->current = NULL;
    if (h->finished) {
        struct green_gthread *done = h->finished;
        h->finished = NULL;
        gt_reap(done);
    }
    if (h->dead_worker) {
        green_t *g = h->dead_worker;
        h->dead_worker = NULL;
        green_release(g);
    }
}

static void wake_fd(struct hub *h, int fd, uint32_t ev)
{
    if (fd < 0 || (size_t)fd >= h->nfds || !h->fds[fd])
        return;
    struct fdrec *r = h->fds[fd];
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        r->rready = 1;
        if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            r->hup = 1;
        hub_wake_all(h, &r->readers, GREEN_OK);
    }
    if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
        hub_wake_all(h, &r->writers, GREEN_OK);
}

/* Nothing can ever wake the blocked greenlets that are not green threads:
 * tell them. */
static void deadlock(struct hub *h)
{
    if (!h->foreign) {
        /* Only green threads are blocked and nothing can wake them, yet
         * somebody switched here: hand control back to the main greenlet. */
        green_switch(green_main(), NULL, NULL);
        return;
    }
    for (struct waiter *w = h->foreign; w; w = w->fnext)
        hub_wake(h, w, GREEN_EDEADLK);
}

#define HUB_EVENTS 512

static int hub_run(green_t *self, void *in, void **out)
{
    (void)self;
    (void)out;
    struct hub *h = in;
    struct epoll_event evs[HUB_EVENTS];
    while (!h->stopping) {
        /* Run what is ready now; what these make ready runs next round,
         * after the fds have been polled once more. */
        for (size_t n = h->runq.n; n > 0 && !h->stopping; n--) {
            struct waiter *w = wl_pop(&h->runq);
            if (!w)
                break;
            resume(h, w);
        }
        if (h->stopping)
            break;
        int timeout;
        if (h->runq.n) {
            timeout = 0;
        } else if (h->nheap) {
            int64_t d = h->heap[0]->deadline - now_ns();
            if (d <= 0)
                timeout = 0;
            else if (d >= (int64_t)INT32_MAX * 1000000)
                timeout = INT32_MAX;
            else
                timeout = (int)((d + 999999) / 1000000);
        } else if (h->nfdwait) {
            timeout = -1;
        } else {
            deadlock(h);
            continue;
        }
        if (h->nfdwait || timeout != 0) {
            int n = epoll_wait(h->epfd, evs, HUB_EVENTS, timeout);
            for (int i = 0; i < n; i++)
                wake_fd(h, evs[i].data.fd, evs[i].events);
        }
        if (h->nheap) {
            int64_t now = now_ns();
            while (h->nheap && h->heap[0]->deadline <= now)
                hub_wake(h, h->heap[0], GREEN_ETIMEDOUT);
        }
    }
    return GREEN_OK;
}

/* ---- hub lifetime -------------------------------------------------------- */

struct hub *hub_peek(void) { return tls_hub; }

struct hub *hub_get(void)
{
    struct hub *h = tls_hub;
    if (hub_likely(h != NULL))
        return h;
    green_t *main = green_main();
    if (!main)
        return NULL;
    h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (h->epfd < 0) {
        free(h);
        return NULL;
    }
    if (green_create(&h->g, hub_run, main, &hub_stack_attr) != GREEN_OK) {
        close(h->epfd);
        free(h);
        return NULL;
    }
    h->live.lnext = h->live.lprev = &h->live;
    tls_hub = h;
    return h;
}

int hub_can_block(struct hub *h)
{
    struct green_gthread *gt = h->current;
    if (gt) {
        /* h->current is the thread the hub resumed; it runs unless it
         * switched elsewhere on its own. */
        if (hub_likely(gt->g == green_current()))
            return gt->killed ? GREEN_EKILLED : GREEN_OK;
        return GREEN_OK;
    }
    if (green_current() == h->g || h->stopping)
        return GREEN_EHUB;
    return GREEN_OK;
}

int hub_block(struct hub *h, struct waiter *w, double timeout)
{
    green_t *cur = green_current();
    struct green_gthread *gt = h->current;
    if (gt && gt->g != cur)
        gt = NULL;
    int rc = GREEN_OK;
    if (cur == h->g || h->stopping)
        rc = GREEN_EHUB;
    else if (gt && gt->killed)
        rc = GREEN_EKILLED;
    else if (timeout == 0)
        rc = GREEN_ETIMEDOUT;
    else if (timeout > 0)
        rc = timer_add(h, w, timeout);
    if (rc != GREEN_OK) {
        waiter_detach(h, w);
        return rc;
    }
    w->g = cur;
    w->gt = gt;
    w->code = GREEN_OK;
    if (gt) {
        gt->blocked = w;
    } else {
        w->foreign = 1;
        w->fprev = NULL;
        w->fnext = h->foreign;
        if (h->foreign)
            h->foreign->fprev = w;
        h->foreign = w;
    }
    rc = green_switch(h->g, h, NULL);
    if (gt) {
        gt->blocked = NULL;
    } else {
        if (w->fprev)
            w->fprev->fnext = w->fnext;
        else
            h->foreign = w->fnext;
        if (w->fnext)
            w->fnext->fprev = w->fprev;
        w->foreign = 0;
    }
    waiter_detach(h, w);
    if (rc < 0)
        return rc;
    if (rc == GREEN_EXIT || w->code == GREEN_EXIT)
        return GREEN_EKILLED;
    return w->code;
}

int green_hub_sleep(double seconds)
{
    if (isnan(seconds) || seconds < 0)
        return GREEN_EINVAL;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    struct waiter w;
    waiter_init(&w);
    if (seconds == 0) {
        /* Yield: to the back of the run queue. */
        int rc = hub_can_block(h);
        if (rc != GREEN_OK)
            return rc;
        wl_push(&h->runq, &w);
        rc = hub_block(h, &w, GREEN_HUB_FOREVER);
        return rc;
    }
    int rc = hub_block(h, &w, seconds);
    return rc == GREEN_ETIMEDOUT ? GREEN_OK : rc;
}

int green_hub_yield(void) { return green_hub_sleep(0); }

size_t green_hub_count(void)
{
    struct hub *h = tls_hub;
    return h ? h->nlive : 0;
}

/* Kills every unfinished green thread of h, without yielding. */
static void kill_all(struct hub *h)
{
    struct green_gthread *gt = h->live.lnext;
    while (gt != &h->live) {
        struct green_gthread *next = gt->lnext;
        if (!gt->killed) {
            gt->killed = 1;
            if (gt->state == GT_NEW)
                gt_drop_unstarted(h, gt);
            else if (gt->blocked) {
                hub_wake(h, gt->blocked, GREEN_EXIT);
            }
        }
        gt = next;
    }
}

int green_hub_destroy(void)
{
    struct hub *h = tls_hub;
    if (!h)
        return GREEN_OK;
    green_t *cur = green_current();
    if (cur == h->g)
        return GREEN_EHUB;
    if (h->current && h->current->g == cur)
        return GREEN_EBUSY;
    /* Kill and run the unfinished threads until none is left; give up if
     * a round makes no progress many times over. */
    unsigned stalled = 0;
    while (h->nlive && stalled < 1000) {
        size_t before = h->nlive;
        kill_all(h);
        if (!h->nlive)
            break;
        struct waiter w;
        waiter_init(&w);
        wl_push(&h->runq, &w);
        int rc = hub_block(h, &w, GREEN_HUB_FOREVER);
        if (rc < 0 && rc != GREEN_EDEADLK)
            return rc;
        stalled = h->nlive < before ? 0 : stalled + 1;
    }
    if (h->nlive)
        return GREEN_EBUSY;
    h->destroying = 1;
    /* Parked workers: releasing each kills it (it returns at once). */
    while (h->nidle)
        green_release(h->idle[--h->nidle]);
    free(h->idle);
    h->idle = NULL;
    if (green_state(h->g) != GREEN_STATE_NEW) {
        h->stopping = 1;
        green_set_parent(h->g, cur);
        green_switch(h->g, NULL, NULL);
    }
    green_release(h->g);
    while (h->spare) {
        struct green_gthread *gt = h->spare;
        h->spare = gt->lnext;
        free(gt);
    }
    for (size_t i = 0; i < h->nfds; i++)
        free(h->fds[i]);
    free(h->fds);
    free(h->heap);
    close(h->epfd);
    free(h);
    tls_hub = NULL;
    return GREEN_OK;
}

/* ---- green threads ------------------------------------------------------- */

int hub_spawn(struct hub *h, struct green_gthread **out, green_task_fn fn,
              void *arg, struct green_pool *pool)
{
    if (h->destroying || h->stopping)
        return GREEN_EHUB;
    struct green_gthread *gt = gt_alloc(h);
    if (!gt)
        return GREEN_ENOMEM;
    if (h->nidle) {
        gt->g = h->idle[--h->nidle];
    } else {
        int rc = green_create(&gt->g, worker_main, h->g, &hub_stack_attr);
        if (rc != GREEN_OK) {
            free(gt);
            return rc == GREEN_EINVAL ? GREEN_ENOMEM : rc;
        }
    }
    gt->refs = out ? 2 : 1;
    gt->hub = h;
    gt->fn = fn;
    gt->arg = arg;
    gt->state = GT_NEW;
    gt->pool = pool;
    gt->start.g = gt->g;
    gt->start.gt = gt;
    gt->lnext = h->live.lnext;
    gt->lprev = &h->live;
    h->live.lnext->lprev = gt;
    h->live.lnext = gt;
    h->nlive++;
    wl_push(&h->runq, &gt->start);
    if (out)
        *out = gt;
    return GREEN_OK;
}

struct green_gthread *hub_thread_done(struct hub *h, int kind, void *result)
{
    struct green_gthread *gt = gt_alloc(h);
    if (!gt)
        return NULL;
    gt->refs = 1;
    gt->hub = h;
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
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    return hub_spawn(h, out, fn, arg, NULL);
}

int green_hub_spawn_n(green_task_fn fn, void *arg)
{
    if (!fn)
        return GREEN_EINVAL;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    return hub_spawn(h, NULL, fn, arg, NULL);
}

static int gt_check(const struct green_gthread *t)
{
    if (!t)
        return GREEN_EINVAL;
    if (t->hub != tls_hub)
        return GREEN_ETHREAD;
    return GREEN_OK;
}

int green_thread_wait(green_thread_t *t, double timeout, void **result)
{
    int rc = gt_check(t);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = hub_check_timeout(timeout)) != GREEN_OK)
        return rc;
    struct hub *h = t->hub;
    if ((rc = hub_killed(h)) != GREEN_OK)
        return rc;
    if (t->state != GT_DONE) {
        if (h->current == t && t->g == green_current())
            return GREEN_EINVAL;
        if ((rc = hub_can_block(h)) != GREEN_OK)
            return rc;
        struct waiter w;
        waiter_init(&w);
        wl_push(&t->joiners, &w);
        rc = hub_block(h, &w, timeout);
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
    int rc = gt_check(t);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = t->hub;
    if (t->state == GT_DONE)
        return GREEN_OK;
    if (h->current == t && t->g == green_current()) {
        t->killed = 1;
        return GREEN_EKILLED;
    }
    t->killed = 1;
    if (t->state == GT_NEW) {
        gt_drop_unstarted(h, t);
        return GREEN_OK;
    }
    if (t->blocked)
        hub_wake(h, t->blocked, GREEN_EXIT);
    /* Let the victim unwind before we return, as eventlet does. */
    if (hub_can_block(h) == GREEN_OK)
        green_hub_yield();
    return GREEN_OK;
}

int green_thread_done(const green_thread_t *t)
{
    if (!t)
        return GREEN_EINVAL;
    return t->state == GT_DONE;
}

int green_thread_retain(green_thread_t *t)
{
    int rc = gt_check(t);
    if (rc != GREEN_OK)
        return rc;
    t->refs++;
    return GREEN_OK;
}

int green_thread_release(green_thread_t *t)
{
    if (!t)
        return GREEN_EINVAL;
    /* A finished handle outlives its hub: it may be released after
     * green_hub_destroy(). */
    if (t->state != GT_DONE && t->hub != tls_hub)
        return GREEN_ETHREAD;
    gt_unref(t);
    return GREEN_OK;
}

green_thread_t *green_thread_current(void)
{
    struct hub *h = tls_hub;
    if (h && h->current && h->current->g == green_current())
        return h->current;
    return NULL;
}

/* ---- file descriptors ---------------------------------------------------- */

static struct fdrec *fd_rec(struct hub *h, int fd)
{
    if ((size_t)fd >= h->nfds) {
        size_t n = h->nfds ? h->nfds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct fdrec **fds = realloc(h->fds, n * sizeof *fds);
        if (!fds)
            return NULL;
        memset(fds + h->nfds, 0, (n - h->nfds) * sizeof *fds);
        h->fds = fds;
        h->nfds = n;
    }
    if (!h->fds[fd]) {
        h->fds[fd] = calloc(1, sizeof(struct fdrec));
        if (h->fds[fd])
            h->fds[fd]->rready = 1;
    }
    return h->fds[fd];
}

/* Waits for one direction of fd; the caller knows it is not ready. */
static int fd_wait(struct hub *h, int fd, int write, double timeout)
{
    int rc = hub_can_block(h);
    if (rc != GREEN_OK)
        return rc;
    if (timeout == 0)
        return GREEN_ETIMEDOUT;
    struct fdrec *r = fd_rec(h, fd);
    if (!r)
        return GREEN_ENOMEM;
    if (!r->registered) {
        struct epoll_event ev = {0};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            if (errno != EEXIST)
                return GREEN_ESYS;
            /* Registered under an earlier life of this number: renew. */
            if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
                return GREEN_ESYS;
        }
        r->registered = 1;
    }
    struct waiter w;
    waiter_init(&w);
    wl_push(write ? &r->writers : &r->readers, &w);
    w.fdwait = 1;
    h->nfdwait++;
    return hub_block(h, &w, timeout);
}

static int wait_ready(int fd, int write, double timeout)
{
    if (fd < 0)
        return GREEN_EINVAL;
    int rc = hub_check_timeout(timeout);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    struct pollfd p = {.fd = fd, .events = write ? POLLOUT : POLLIN};
    int n = poll(&p, 1, 0);
    if (n < 0)
        return GREEN_ESYS;
    if (n > 0) {
        if (p.revents & POLLNVAL) {
            errno = EBADF;
            return GREEN_ESYS;
        }
        /* Ready now; still report a pending kill. */
        rc = hub_can_block(h);
        return rc == GREEN_EKILLED ? rc : GREEN_OK;
    }
    return fd_wait(h, fd, write, timeout);
}

int green_hub_wait_read(int fd, double timeout)
{
    return wait_ready(fd, 0, timeout);
}

int green_hub_wait_write(int fd, double timeout)
{
    return wait_ready(fd, 1, timeout);
}

/* Is fd a byte stream? Asked once per fd, when it is first used. */
static int fd_is_stream(int fd)
{
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
        return type == SOCK_STREAM;
    struct stat st;
    return errno == ENOTSOCK && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Makes sure fd is non-blocking; *rp receives its record. */
static int fd_nonblock(struct hub *h, int fd, struct fdrec **rp)
{
    struct fdrec *r = fd_rec(h, fd);
    if (!r)
        return GREEN_ENOMEM;
    *rp = r;
    if (hub_likely(r->nonblock))
        return GREEN_OK;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return GREEN_ESYS;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return GREEN_ESYS;
    r->stream = (unsigned char)fd_is_stream(fd);
    r->nonblock = 1;
    return GREEN_OK;
}

/* A fresh fd number: whatever the hub knew about it is stale. */
static struct fdrec *fd_fresh(struct hub *h, int fd)
{
    struct fdrec *r = fd_rec(h, fd);
    if (!r)
        return NULL;
    hub_wake_all(h, &r->readers, GREEN_ECLOSED);
    hub_wake_all(h, &r->writers, GREEN_ECLOSED);
    r->registered = 0;
    r->nonblock = 0;
    r->stream = 0;
    r->rready = 1;
    r->hup = 0;
    return r;
}

/* The checks every fd call starts with: a valid fd and timeout, this
 * thread's hub, and a caller that was not killed. */
static int io_enter(struct hub **hp, int fd, double timeout)
{
    if (fd < 0)
        return GREEN_EINVAL;
    int rc = hub_check_timeout(timeout);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    *hp = h;
    return hub_killed(h);
}

static int io_prologue(struct hub **hp, struct fdrec **rp, int fd,
                       double timeout)
{
    int rc = io_enter(hp, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    return fd_nonblock(*hp, fd, rp);
}

ssize_t green_hub_read(int fd, void *buf, size_t n, double timeout)
{
    if (!buf && n)
        return GREEN_EINVAL;
    struct hub *h;
    struct fdrec *r;
    int rc = io_prologue(&h, &r, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    for (;;) {
        /* A drained stream with no input reported since: do not ask
         * (unless the caller will not wait: epoll may hold news). */
        if (r->rready || !r->registered || timeout == 0) {
            ssize_t got = read(fd, buf, n);
            if (got > 0) {
                if ((size_t)got < n && r->stream && !r->hup)
                    r->rready = 0;
                return got;
            }
            if (got == 0)
                return 0;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return GREEN_ESYS;
            r->rready = 0;
        }
        rc = fd_wait(h, fd, 0, timeout);
        if (rc != GREEN_OK)
            return rc;
    }
}

ssize_t green_hub_write(int fd, const void *buf, size_t n, double timeout)
{
    if (!buf && n)
        return GREEN_EINVAL;
    struct hub *h;
    struct fdrec *r;
    int rc = io_prologue(&h, &r, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    const char *p = buf;
    size_t left = n;
    int sock = -1; /* unknown yet: send() with MSG_NOSIGNAL for sockets */
    while (left > 0) {
        ssize_t put;
        if (sock != 0) {
            put = send(fd, p, left, MSG_NOSIGNAL);
            if (put < 0 && errno == ENOTSOCK) {
                sock = 0;
                continue;
            }
            sock = 1;
        } else {
            put = write(fd, p, left);
        }
        if (put >= 0) {
            p += put;
            left -= (size_t)put;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return GREEN_ESYS;
        rc = fd_wait(h, fd, 1, timeout);
        if (rc != GREEN_OK)
            return rc;
    }
    return (ssize_t)n;
}

int green_hub_accept(int fd, struct sockaddr *addr, socklen_t *len,
                     double timeout)
{
    struct hub *h;
    struct fdrec *r;
    int rc = io_prologue(&h, &r, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    for (;;) {
        int c = accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            struct fdrec *cr = fd_fresh(h, c);
            if (!cr) {
                close(c);
                return GREEN_ENOMEM;
            }
            cr->nonblock = 1;
            cr->stream = r->stream;
            return c;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return GREEN_ESYS;
        rc = fd_wait(h, fd, 0, timeout);
        if (rc != GREEN_OK)
            return rc;
    }
}

int green_hub_connect(int fd, const struct sockaddr *addr, socklen_t len,
                      double timeout)
{
    if (!addr)
        return GREEN_EINVAL;
    struct hub *h;
    int rc = io_enter(&h, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    /* A socket about to connect is new to the hub whatever its number. */
    struct fdrec *r = fd_fresh(h, fd);
    if (!r)
        return GREEN_ENOMEM;
    if ((rc = fd_nonblock(h, fd, &r)) != GREEN_OK)
        return rc;
    if (connect(fd, addr, len) == 0)
        return GREEN_OK;
    if (errno != EINPROGRESS && errno != EINTR)
        return GREEN_ESYS;
    rc = fd_wait(h, fd, 1, timeout);
    if (rc != GREEN_OK)
        return rc;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        return GREEN_ESYS;
    if (err) {
        errno = err;
        return GREEN_ESYS;
    }
    return GREEN_OK;
}

int green_hub_forget(int fd)
{
    if (fd < 0)
        return GREEN_EINVAL;
    struct hub *h = tls_hub;
    if (!h || (size_t)fd >= h->nfds || !h->fds[fd])
        return GREEN_OK;
    struct fdrec *r = h->fds[fd];
    hub_wake_all(h, &r->readers, GREEN_ECLOSED);
    hub_wake_all(h, &r->writers, GREEN_ECLOSED);
    if (r->registered)
        epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
    r->registered = 0;
    r->nonblock = 0;
    r->stream = 0;
    r->rready = 1;
    r->hup = 0;
    return GREEN_OK;
}

int green_hub_close(int fd)
{
    int rc = green_hub_forget(fd);
    if (rc != GREEN_OK)
        return rc;
    if (close(fd) < 0 && errno != EINTR)
        return GREEN_ESYS;
    return GREEN_OK;
}
