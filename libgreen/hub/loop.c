/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the per-thread hub: run queue, waking and blocking, the event
 * loop, deadlock detection, sleep and yield.
 *
 * The hub is a greenlet whose run function loops: it resumes every waiter
 * on the run queue, then waits in epoll_wait() for fd readiness or the
 * next timer, and moves what became ready to the run queue. Green threads
 * are greenlets whose parent is the hub, so a finishing green thread lands
 * back in the hub's pending switch.
 */
#include <errno.h>
#include <math.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

__thread struct hub *green_hub__tls __attribute__((tls_model("initial-exec")));

const green_attr green_hub__stack_attr = {
    sizeof(green_attr), 0, NULL, NULL, GREEN_STACK_GUARDED, 0};

/* ---- blocking ------------------------------------------------------------ */

int green_hub__can_block(struct hub *h)
{
    struct green_hub__task *t = h->current;
    if (t) {
        /* h->current is the thread the hub resumed; it runs unless it
         * switched elsewhere on its own. */
        if (hub_likely(t->g == green_current()))
            return t->killed ? GREEN_EKILLED : GREEN_OK;
        return GREEN_OK;
    }
    if (green_current() == h->g || h->stopping)
        return GREEN_EHUB;
    return GREEN_OK;
}

int green_hub__wait(struct hub *h, struct green_hub__list *list,
                    struct waiter *w, double timeout)
{
    if (list)
        green_hub__list_push(list, &w->link);
    green_t *cur = green_current();
    struct green_hub__task *t = h->current;
    if (t && t->g != cur)
        t = NULL;
    int rc = GREEN_OK;
    if (cur == h->g || h->stopping)
        rc = GREEN_EHUB;
    else if (t && t->killed)
        rc = GREEN_EKILLED;
    else if (timeout == 0)
        rc = GREEN_ETIMEDOUT;
    else if (timeout > 0)
        rc = green_hub__timer_arm(&h->timers, &w->timer, timeout);
    if (rc != GREEN_OK) {
        green_hub__detach(h, w);
        return rc;
    }
    w->g = cur;
    w->task = t;
    w->code = GREEN_OK;
    if (t)
        t->blocked = w;
    else
        green_hub__list_push(&h->foreign, &w->flink);
    rc = green_switch(h->g, h, NULL);
    if (t)
        t->blocked = NULL;
    else
        green_hub__list_remove(&w->flink);
    green_hub__detach(h, w);
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
    struct hub *h = green_hub__get();
    if (!h)
        return GREEN_ENOMEM;
    struct waiter w = {0};
    if (seconds == 0) /* yield: to the back of the run queue */
        return green_hub__wait(h, &h->runq, &w, GREEN_HUB_FOREVER);
    int rc = green_hub__wait(h, NULL, &w, seconds);
    return rc == GREEN_ETIMEDOUT ? GREEN_OK : rc;
}

int green_hub_yield(void) { return green_hub_sleep(0); }

/* ---- the loop ------------------------------------------------------------ */

static void resume(struct hub *h, struct waiter *w)
{
    h->current = w->task;
    /* w lives on the stack of the greenlet resumed: not used after. */
    if (w->run)
        w->run(h, w);
    else if (w->code == GREEN_EXIT)
        green_throw_exit(w->g, NULL, NULL);
    else
        green_switch(w->g, NULL, NULL);
    h->current = NULL;
    if (h->dead) {
        green_t *g = h->dead;
        h->dead = NULL;
        green_release(g);
    }
}

/* Nothing can ever wake the blocked greenlets that are not green threads:
 * tell them. */
static void deadlock(struct hub *h)
{
    if (!h->foreign.head) {
        /* Only green threads are blocked and nothing can wake them, yet
         * somebody switched here: hand control back to the main greenlet. */
        green_switch(green_main(), NULL, NULL);
        return;
    }
    for (struct green_hub__link *l = h->foreign.head; l; l = l->next)
        green_hub__wake(h, hub_container(l, struct waiter, flink),
                        GREEN_EDEADLK);
}

/* How long epoll_wait() may sleep: 0 if something can run, until the
 * next timer, -1 (no limit) if only fds can wake someone; -2: nothing
 * can. */
static int poll_timeout(const struct hub *h)
{
    if (h->runq.n)
        return 0;
    int ms = green_hub__timer_wait_ms(&h->timers);
    if (ms >= 0)
        return ms;
    return h->nfdwait ? -1 : -2;
}

/* Wakes the waiters whose timers are due (reads the clock only if a
 * timer is armed: without a vDSO clock that is a system call). */
static void expire(struct hub *h)
{
    struct green_hub__timer *t = green_hub__timer_first(&h->timers);
    if (!t)
        return;
    int64_t now = green_hub__now_ns();
    for (; t && t->deadline <= now; t = green_hub__timer_first(&h->timers))
        green_hub__wake(h, hub_container(t, struct waiter, timer),
                        GREEN_ETIMEDOUT);
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
            struct waiter *w = green_hub__waiter(green_hub__list_pop(&h->runq));
            if (!w)
                break;
            resume(h, w);
        }
        if (h->stopping)
            break;
        int timeout = poll_timeout(h);
        if (timeout == -2) {
            deadlock(h);
            continue;
        }
        if (h->nfdwait || timeout != 0) {
            int n = epoll_wait(h->epfd, evs, HUB_EVENTS, timeout);
            for (int i = 0; i < n; i++)
                h->io_ready(h, evs[i].data.fd, evs[i].events);
        }
        expire(h);
    }
    return GREEN_OK;
}

/* ---- lifetime ------------------------------------------------------------ */

struct hub *green_hub__get(void)
{
    struct hub *h = green_hub__tls;
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
    if (green_create(&h->g, hub_run, main, &green_hub__stack_attr) !=
        GREEN_OK) {
        close(h->epfd);
        free(h);
        return NULL;
    }
    green_hub__tls = h;
    return h;
}

void green_hub__free(struct hub *h)
{
    if (green_state(h->g) != GREEN_STATE_NEW) {
        h->stopping = 1;
        green_set_parent(h->g, green_current());
        green_switch(h->g, NULL, NULL);
    }
    green_release(h->g);
    green_hub__heap_free(&h->timers);
    close(h->epfd);
    if (green_hub__tls == h)
        green_hub__tls = NULL;
    free(h);
}
