/* SPDX-License-Identifier: MIT */
/*
 * pool.c - GreenPool: at most `size` green threads of the pool at once.
 * Free slots are handed to waiting spawners in FIFO order; a green thread
 * of the pool frees its slot through the callback it was spawned with.
 */
#include <limits.h>
#include <stdlib.h>

#include "thread.h"

struct green_pool {
    struct green_hub__obj obj;
    size_t size;                  /* HUB_SET */
    size_t running;               /* HUB_SET */
    struct green_hub__list slotq; /* spawners waiting for a slot */
    struct green_hub__list waitall; /* greenlets in green_pool_waitall() */
};

int green_pool_create(green_pool_t **out, size_t size)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (size == 0 || size > LONG_MAX)
        return GREEN_EINVAL;
    struct green_pool *p = green_hub__obj_new(sizeof *p);
    if (!p)
        return GREEN_ENOMEM;
    p->size = size;
    *out = p;
    return GREEN_OK;
}

int green_pool_destroy(green_pool_t *p)
{
    int rc = green_hub__enter(p);
    if (rc != GREEN_OK)
        return rc;
    if (p->running || p->slotq.n || p->waitall.n)
        return GREEN_EBUSY;
    free(p);
    return GREEN_OK;
}

/* Hands free slots to waiting spawners. */
static void grant_slots(struct green_pool *p)
{
    while (p->running < p->size && p->slotq.head) {
        HUB_SET(p->running, p->running + 1);
        green_hub__grant(p->obj.hub, green_hub__waiter(p->slotq.head), NULL);
    }
}

/* A green thread of the pool finished, or a granted spawn failed. */
static void slot_free(void *ctx)
{
    struct green_pool *p = ctx;
    HUB_SET(p->running, p->running - 1);
    grant_slots(p);
    if (p->running == 0)
        green_hub__wake_all(p->obj.hub, &p->waitall, GREEN_OK);
}

/* A member spawning into its own full pool would wait for itself: fn runs
 * in the caller, and the handle is already finished. */
static int run_inline(struct hub *h, green_thread_t **out, green_task_fn fn,
                      void *arg)
{
    void *result = NULL;
    int kind = green_hub__task_kind(fn(arg, &result));
    if (out && !(*out = green_hub__thread_finished(h, kind, result)))
        return GREEN_ENOMEM;
    return GREEN_OK;
}

static int pool_spawn(struct green_pool *p, green_thread_t **out,
                      green_task_fn fn, void *arg)
{
    int rc = green_hub__enter_wait(fn ? p : NULL, GREEN_HUB_FOREVER);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = p->obj.hub;
    if (p->running >= p->size || p->slotq.n) {
        green_thread_t *self = green_thread_current();
        if (self && self->ctx == p)
            return run_inline(h, out, fn, arg);
        struct waiter w = {0};
        rc = green_hub__wait(h, &p->slotq, &w, GREEN_HUB_FOREVER);
        if (rc != GREEN_OK) {
            if (w.handoff) /* granted, then the wait failed */
                slot_free(p);
            return rc;
        }
    } else {
        HUB_SET(p->running, p->running + 1);
    }
    rc = green_hub__spawn(h, out, fn, arg, slot_free, p);
    if (rc != GREEN_OK)
        slot_free(p);
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
    int rc = green_hub__enter_wait(p, timeout);
    if (rc != GREEN_OK)
        return rc;
    if (p->running == 0)
        return GREEN_OK;
    green_thread_t *self = green_thread_current();
    if (self && self->ctx == p)
        return GREEN_EDEADLK;
    struct waiter w = {0};
    return green_hub__wait(p->obj.hub, &p->waitall, &w, timeout);
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
    if (p && (size == 0 || size > LONG_MAX))
        return GREEN_EINVAL;
    int rc = green_hub__enter(p);
    if (rc != GREEN_OK)
        return rc;
    HUB_SET(p->size, size);
    grant_slots(p);
    return GREEN_OK;
}
