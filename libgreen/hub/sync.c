/* SPDX-License-Identifier: MIT */
/*
 * sync.c - pools, events, semaphores and bounded queues.
 *
 * Each object keeps FIFO lists of waiters. Whatever a waker grants (a pool
 * slot, a semaphore unit, a queue item, room in a queue) is handed to the
 * first waiter directly, so a greenlet arriving later cannot overtake one
 * that waits; a waiter that times out or is killed before being granted
 * anything simply leaves its list.
 */
#include <limits.h>
#include <stdlib.h>

#include "hub_internal.h"

/* The hub of the calling thread if it owns obj_hub. */
static int owned(struct hub *obj_hub)
{
    return obj_hub == hub_peek() ? GREEN_OK : GREEN_ETHREAD;
}

/* Grants w what was handed over and wakes it. */
static void grant(struct hub *h, struct waiter *w, void *value)
{
    w->value = value;
    w->handoff = 1;
    hub_wake(h, w, GREEN_OK);
}

/* ---- pools --------------------------------------------------------------- */

struct green_pool {
    struct hub *hub;
    size_t size;
    size_t running;
    struct wlist slotq;   /* spawners waiting for a slot */
    struct wlist waitall; /* greenlets in green_pool_waitall() */
};

int green_pool_create(green_pool_t **out, size_t size)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (size == 0 || size > LONG_MAX)
        return GREEN_EINVAL;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    struct green_pool *p = calloc(1, sizeof *p);
    if (!p)
        return GREEN_ENOMEM;
    p->hub = h;
    p->size = size;
    *out = p;
    return GREEN_OK;
}

int green_pool_destroy(green_pool_t *p)
{
    if (!p)
        return GREEN_EINVAL;
    int rc = owned(p->hub);
    if (rc != GREEN_OK)
        return rc;
    if (p->running || p->slotq.n || p->waitall.n)
        return GREEN_EBUSY;
    free(p);
    return GREEN_OK;
}

/* Hands free slots to waiting spawners. */
static void pool_grant(struct green_pool *p)
{
    while (p->running < p->size && p->slotq.head) {
        HUB_SET(p->running, p->running + 1);
        grant(p->hub, p->slotq.head, NULL);
    }
}

void hub_pool_slot_free(struct green_pool *p)
{
    HUB_SET(p->running, p->running - 1);
    pool_grant(p);
    if (p->running == 0)
        hub_wake_all(p->hub, &p->waitall, GREEN_OK);
}

static int pool_spawn(struct green_pool *p, green_thread_t **out,
                      green_task_fn fn, void *arg)
{
    if (!p || !fn)
        return GREEN_EINVAL;
    int rc = owned(p->hub);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = p->hub;
    if ((rc = hub_killed(h)) != GREEN_OK)
        return rc;
    if (p->running >= p->size || p->slotq.n) {
        green_thread_t *self = green_thread_current();
        if (self && self->pool == p) {
            /* A member spawning into its own full pool would wait for
             * itself: run the function here. */
            void *result = NULL;
            int kind = hub_task_kind(fn(arg, &result));
            if (out) {
                *out = hub_thread_done(h, kind, result);
                if (!*out)
                    return GREEN_ENOMEM;
            }
            return GREEN_OK;
        }
        if ((rc = hub_can_block(h)) != GREEN_OK)
            return rc;
        struct waiter w;
        waiter_init(&w);
        wl_push(&p->slotq, &w);
        rc = hub_block(h, &w, GREEN_HUB_FOREVER);
        if (rc != GREEN_OK) {
            if (w.handoff) /* granted, then the spawn failed */
                hub_pool_slot_free(p);
            return rc;
        }
    } else {
        HUB_SET(p->running, p->running + 1);
    }
    rc = hub_spawn(h, out, fn, arg, p);
    if (rc != GREEN_OK)
        hub_pool_slot_free(p);
    return rc;
}

int green_pool_spawn(green_pool_t *p, green_thread_t **out, green_task_fn fn,
                     void *arg)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    return pool_spawn(p, out, fn, arg);
}

int green_pool_spawn_n(green_pool_t *p, green_task_fn fn, void *arg)
{
    return pool_spawn(p, NULL, fn, arg);
}

int green_pool_waitall(green_pool_t *p, double timeout)
{
    if (!p)
        return GREEN_EINVAL;
    int rc = owned(p->hub);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = hub_check_timeout(timeout)) != GREEN_OK)
        return rc;
    if ((rc = hub_killed(p->hub)) != GREEN_OK)
        return rc;
    if (p->running == 0)
        return GREEN_OK;
    green_thread_t *self = green_thread_current();
    if (self && self->pool == p)
        return GREEN_EDEADLK;
    struct waiter w;
    waiter_init(&w);
    wl_push(&p->waitall, &w);
    return hub_block(p->hub, &w, timeout);
}

long green_pool_running(const green_pool_t *p)
{
    return p ? (long)HUB_GET(p->running) : GREEN_EINVAL;
}

long green_pool_free(const green_pool_t *p)
{
    if (!p)
        return GREEN_EINVAL;
    size_t running = HUB_GET(p->running), size = HUB_GET(p->size);
    return running >= size ? 0 : (long)(size - running);
}

long green_pool_waiting(const green_pool_t *p)
{
    return p ? (long)HUB_GET(p->slotq.n) : GREEN_EINVAL;
}

int green_pool_resize(green_pool_t *p, size_t size)
{
    if (!p || size == 0 || size > LONG_MAX)
        return GREEN_EINVAL;
    int rc = owned(p->hub);
    if (rc != GREEN_OK)
        return rc;
    HUB_SET(p->size, size);
    pool_grant(p);
    return GREEN_OK;
}

/* ---- events -------------------------------------------------------------- */

struct green_event {
    struct hub *hub;
    int sent;
    void *value;
    struct wlist waiters;
};

int green_event_create(green_event_t **out)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    struct green_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return GREEN_ENOMEM;
    ev->hub = h;
    *out = ev;
    return GREEN_OK;
}

int green_event_destroy(green_event_t *ev)
{
    if (!ev)
        return GREEN_EINVAL;
    int rc = owned(ev->hub);
    if (rc != GREEN_OK)
        return rc;
    if (ev->waiters.n)
        return GREEN_EBUSY;
    free(ev);
    return GREEN_OK;
}

int green_event_send(green_event_t *ev, void *value)
{
    if (!ev)
        return GREEN_EINVAL;
    int rc = owned(ev->hub);
    if (rc != GREEN_OK)
        return rc;
    if (ev->sent)
        return GREEN_EBUSY;
    HUB_SET(ev->sent, 1);
    ev->value = value;
    struct waiter *w;
    while ((w = ev->waiters.head) != NULL)
        grant(ev->hub, w, value);
    return GREEN_OK;
}

int green_event_wait(green_event_t *ev, double timeout, void **value)
{
    if (!ev)
        return GREEN_EINVAL;
    int rc = owned(ev->hub);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = hub_check_timeout(timeout)) != GREEN_OK)
        return rc;
    if ((rc = hub_killed(ev->hub)) != GREEN_OK)
        return rc;
    if (ev->sent) {
        if (value)
            *value = ev->value;
        return GREEN_OK;
    }
    struct waiter w;
    waiter_init(&w);
    wl_push(&ev->waiters, &w);
    rc = hub_block(ev->hub, &w, timeout);
    if (rc == GREEN_OK && value)
        *value = w.value;
    return rc;
}

int green_event_ready(const green_event_t *ev)
{
    return ev ? HUB_GET(ev->sent) : GREEN_EINVAL;
}

int green_event_reset(green_event_t *ev)
{
    if (!ev)
        return GREEN_EINVAL;
    int rc = owned(ev->hub);
    if (rc != GREEN_OK)
        return rc;
    HUB_SET(ev->sent, 0);
    ev->value = NULL;
    return GREEN_OK;
}

/* ---- semaphores ---------------------------------------------------------- */

struct green_sem {
    struct hub *hub;
    long count;
    struct wlist waiters;
};

int green_sem_create(green_sem_t **out, size_t count)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (count > LONG_MAX)
        return GREEN_EINVAL;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    struct green_sem *s = calloc(1, sizeof *s);
    if (!s)
        return GREEN_ENOMEM;
    s->hub = h;
    s->count = (long)count;
    *out = s;
    return GREEN_OK;
}

int green_sem_destroy(green_sem_t *s)
{
    if (!s)
        return GREEN_EINVAL;
    int rc = owned(s->hub);
    if (rc != GREEN_OK)
        return rc;
    if (s->waiters.n)
        return GREEN_EBUSY;
    free(s);
    return GREEN_OK;
}

int green_sem_acquire(green_sem_t *s, double timeout)
{
    if (!s)
        return GREEN_EINVAL;
    int rc = owned(s->hub);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = hub_check_timeout(timeout)) != GREEN_OK)
        return rc;
    if ((rc = hub_killed(s->hub)) != GREEN_OK)
        return rc;
    if (s->count > 0 && !s->waiters.n) {
        HUB_SET(s->count, s->count - 1);
        return GREEN_OK;
    }
    struct waiter w;
    waiter_init(&w);
    wl_push(&s->waiters, &w);
    rc = hub_block(s->hub, &w, timeout);
    if (rc != GREEN_OK && w.handoff) {
        /* Granted a unit but failed anyway: give it back. */
        green_sem_release(s);
    }
    return rc;
}

int green_sem_release(green_sem_t *s)
{
    if (!s)
        return GREEN_EINVAL;
    int rc = owned(s->hub);
    if (rc != GREEN_OK)
        return rc;
    if (s->waiters.head) {
        grant(s->hub, s->waiters.head, NULL);
        return GREEN_OK;
    }
    if (s->count == LONG_MAX)
        return GREEN_EBUSY;
    HUB_SET(s->count, s->count + 1);
    return GREEN_OK;
}

long green_sem_count(const green_sem_t *s)
{
    return s ? HUB_GET(s->count) : GREEN_EINVAL;
}

/* ---- bounded queues ------------------------------------------------------ */

struct green_queue {
    struct hub *hub;
    void **ring;
    size_t cap, head, count;
    int closed;
    struct wlist getters; /* wait while empty */
    struct wlist putters; /* wait while full; their item is in w->value */
};

int green_queue_create(green_queue_t **out, size_t capacity)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (capacity == 0 || capacity > LONG_MAX / sizeof(void *))
        return GREEN_EINVAL;
    struct hub *h = hub_get();
    if (!h)
        return GREEN_ENOMEM;
    struct green_queue *q = calloc(1, sizeof *q);
    if (!q)
        return GREEN_ENOMEM;
    q->ring = malloc(capacity * sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return GREEN_ENOMEM;
    }
    q->hub = h;
    q->cap = capacity;
    *out = q;
    return GREEN_OK;
}

int green_queue_destroy(green_queue_t *q)
{
    if (!q)
        return GREEN_EINVAL;
    int rc = owned(q->hub);
    if (rc != GREEN_OK)
        return rc;
    if (q->getters.n || q->putters.n)
        return GREEN_EBUSY;
    free(q->ring);
    free(q);
    return GREEN_OK;
}

static void ring_push(struct green_queue *q, void *item)
{
    q->ring[(q->head + q->count) % q->cap] = item;
    HUB_SET(q->count, q->count + 1);
}

static void *ring_pop(struct green_queue *q)
{
    void *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    HUB_SET(q->count, q->count - 1);
    return item;
}

int green_queue_put(green_queue_t *q, void *item, double timeout)
{
    if (!q)
        return GREEN_EINVAL;
    int rc = owned(q->hub);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = hub_check_timeout(timeout)) != GREEN_OK)
        return rc;
    if ((rc = hub_killed(q->hub)) != GREEN_OK)
        return rc;
    if (q->closed)
        return GREEN_ECLOSED;
    if (q->getters.head) {
        /* Getters wait only on an empty queue: hand it over. */
        grant(q->hub, q->getters.head, item);
        return GREEN_OK;
    }
    if (q->count < q->cap && !q->putters.n) {
        ring_push(q, item);
        return GREEN_OK;
    }
    struct waiter w;
    waiter_init(&w);
    w.value = item;
    wl_push(&q->putters, &w);
    /* On GREEN_OK a getter moved the item into the queue. */
    return hub_block(q->hub, &w, timeout);
}

int green_queue_get(green_queue_t *q, void **item, double timeout)
{
    if (!q || !item)
        return GREEN_EINVAL;
    int rc = owned(q->hub);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = hub_check_timeout(timeout)) != GREEN_OK)
        return rc;
    if ((rc = hub_killed(q->hub)) != GREEN_OK)
        return rc;
    if (q->count) {
        *item = ring_pop(q);
        struct waiter *p = q->putters.head;
        if (p) {
            ring_push(q, p->value);
            grant(q->hub, p, p->value);
        }
        return GREEN_OK;
    }
    if (q->closed)
        return GREEN_ECLOSED;
    struct waiter w;
    waiter_init(&w);
    wl_push(&q->getters, &w);
    rc = hub_block(q->hub, &w, timeout);
    if (w.handoff) {
        /* The item is ours even if we were killed meanwhile. */
        *item = w.value;
        return GREEN_OK;
    }
    return rc;
}

int green_queue_close(green_queue_t *q)
{
    if (!q)
        return GREEN_EINVAL;
    int rc = owned(q->hub);
    if (rc != GREEN_OK)
        return rc;
    q->closed = 1;
    hub_wake_all(q->hub, &q->putters, GREEN_ECLOSED);
    hub_wake_all(q->hub, &q->getters, GREEN_ECLOSED);
    return GREEN_OK;
}

long green_queue_size(const green_queue_t *q)
{
    return q ? (long)HUB_GET(q->count) : GREEN_EINVAL;
}
