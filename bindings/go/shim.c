/* SPDX-License-Identifier: MIT */
/*
 * shim.c - the C half of the Go binding: handles and owner-thread checks.
 * Releases from Go's cleanup goroutine go through libgreen's deferred
 * release, which hands them to the thread that owns the greenlet.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <pthread.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* The binding's record of one OS thread that used greenlets. */
struct gg_thread {
    /* One for the live thread, one per handle whose owner it is. */
    atomic_long refs;
    pthread_mutex_t lock;
    /* Set (under lock) by the thread-exit destructor, which then
     * broadcasts ended. */
    int exited;
    pthread_cond_t ended;
    /* Unique for the life of the process (addresses are reused). */
    uintptr_t serial;
};

struct gg_handle {
    /* The reference; NULL once closed. Written only on the owner thread
     * (or by gg_drop when nothing else can see the handle). */
    green_t *_Atomic g;
    struct gg_thread *owner; /* immutable */
};

static __thread struct gg_thread *gg_tls;
static pthread_key_t gg_key;
static pthread_once_t gg_once = PTHREAD_ONCE_INIT;
static int gg_key_ok;
static atomic_long gg_ndropped;
static atomic_uintptr_t gg_serials;

static void thread_unref(struct gg_thread *t)
{
    if (atomic_fetch_sub(&t->refs, 1) == 1) {
        pthread_cond_destroy(&t->ended);
        pthread_mutex_destroy(&t->lock);
        free(t);
    }
}

static void free_handle(gg_handle *h)
{
    struct gg_thread *t = h->owner;
    free(h);
    thread_unref(t);
}

/* The thread's releases that cleanups handed over were killed on it by
 * libgreen's own thread-exit work (GREEN_KILL_RELEASED, set in here()),
 * which runs before this: its key is made when libgreen is loaded, ours
 * later, and keys' destructors run in the order the keys were made. */
static void thread_end(void *arg)
{
    struct gg_thread *t = arg;
    gg_tls = NULL;
    pthread_mutex_lock(&t->lock);
    t->exited = 1;
    pthread_cond_broadcast(&t->ended);
    pthread_mutex_unlock(&t->lock);
    thread_unref(t);
}

static void make_key(void)
{
    gg_key_ok = pthread_key_create(&gg_key, thread_end) == 0;
}

/* The calling thread's record, created on first use. */
static struct gg_thread *here(void)
{
    struct gg_thread *t = gg_tls;
    if (t)
        return t;
    pthread_once(&gg_once, make_key);
    if (!gg_key_ok)
        return NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    t->serial = atomic_fetch_add(&gg_serials, 1) + 1;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->ended, NULL);
    if (pthread_setspecific(gg_key, t) != 0) {
        pthread_cond_destroy(&t->ended);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    gg_tls = t;
    /* Releases handed over and still waiting when the thread ends are
     * kills, run on it, as any release of a suspended greenlet. */
    green_set_kill_at_thread_end(GREEN_KILL_RELEASED);
    return t;
}

/* Every call on a handle starts here: the handle must be open and owned
 * by the calling thread. */
static inline __attribute__((always_inline)) int enter_only(gg_handle *h,
                                                           green_t **g)
{
    if (!h)
        return GREEN_EINVAL;
    green_t *p = atomic_load(&h->g);
    if (!p)
        return GG_ECLOSED;
    if (h->owner != gg_tls)
        return GREEN_ETHREAD;
    *g = p;
    return GREEN_OK;
}

/* enter_only(), then the releases handed to this thread (a switch or a
 * throw handles them itself). */
static int enter(gg_handle *h, green_t **g)
{
    int rc = enter_only(h, g);
    if (rc == GREEN_OK)
        green_collect();
    return rc;
}

/* Wraps g, taking over one reference, for the calling thread. */
static int wrap(gg_handle **out, green_t *g, struct gg_thread *t)
{
    gg_handle *h = malloc(sizeof *h);
    if (!h)
        return GREEN_ENOMEM;
    atomic_init(&h->g, g);
    h->owner = t;
    atomic_fetch_add(&t->refs, 1);
    *out = h;
    return GREEN_OK;
}

int gg_new(gg_handle **out, void *run, gg_handle *parent, size_t stack_size,
           int stack_mode)
{
    *out = NULL;
    if (!run)
        return GREEN_EINVAL;
    green_t *p = NULL;
    if (parent) {
        int rc = enter(parent, &p);
        if (rc != GREEN_OK)
            return rc;
    }
    struct gg_thread *t = here();
    if (!t)
        return GREEN_ENOMEM;
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_size = stack_size;
    attr.stack_mode = stack_mode;
    green_t *g;
    int rc = green_create(&g, (green_run_fn)run, p, &attr);
    if (rc != GREEN_OK)
        return rc;
    rc = wrap(out, g, t);
    if (rc != GREEN_OK)
        green_release(g);
    return rc;
}

gg_result gg_xfer(int kind, uintptr_t hp, uintptr_t value)
{
    gg_handle *h = (gg_handle *)hp;
    green_t *g;
    int rc = enter_only(h, &g);
    if (rc != GREEN_OK)
        return (gg_result){0, rc, 0};
    void *res = NULL;
    switch (kind) {
    case GG_SWITCH:
        rc = green_switch(g, (void *)value, &res);
        break;
    case GG_THROW:
        rc = green_throw(g, (void *)value, &res);
        break;
    default:
        rc = green_throw_exit(g, (void *)value, &res);
        break;
    }
    return (gg_result){(uintptr_t)res, rc, rc < 0 ? 0 : green_state(g)};
}

int gg_xferp(int kind, gg_handle *h, void *value, void **result)
{
    gg_result r = gg_xfer(kind, (uintptr_t)h, (uintptr_t)value);
    *result = (void *)r.value;
    return r.rc;
}

int gg_state(gg_handle *h)
{
    green_t *g;
    int rc = enter(h, &g);
    return rc != GREEN_OK ? rc : green_state(g);
}

int gg_stack_mode(gg_handle *h)
{
    green_t *g;
    int rc = enter(h, &g);
    return rc != GREEN_OK ? rc : green_stack_mode(g);
}

long gg_stack_saved(gg_handle *h)
{
    green_t *g;
    int rc = enter(h, &g);
    return rc != GREEN_OK ? rc : green_stack_saved(g);
}

int gg_set_stack_mode(int mode, int scope)
{
    /* The thread scope needs the calling thread's record so that queued
     * releases are not left behind by a thread that only sets a mode. */
    struct gg_thread *t = here();
    if (!t)
        return GREEN_ENOMEM;
    green_collect();
    return green_set_stack_mode(mode, scope);
}

int gg_is_main(gg_handle *h)
{
    green_t *g;
    int rc = enter(h, &g);
    return rc != GREEN_OK ? rc : green_is_main(g);
}

int gg_parent(gg_handle *h, gg_handle **out)
{
    *out = NULL;
    green_t *g, *p;
    int rc = enter(h, &g);
    if (rc != GREEN_OK)
        return rc;
    rc = green_get_parent(g, &p);
    if (rc != GREEN_OK || !p)
        return rc;
    green_retain(p);
    rc = wrap(out, p, h->owner);
    if (rc != GREEN_OK)
        green_release(p);
    return rc;
}

int gg_set_parent(gg_handle *h, gg_handle *parent)
{
    green_t *g, *p;
    int rc = enter(h, &g);
    if (rc != GREEN_OK)
        return rc;
    rc = enter(parent, &p);
    if (rc != GREEN_OK)
        return rc;
    return green_set_parent(g, p);
}

static int wrap_borrowed(gg_handle **out, green_t *(*get)(void))
{
    *out = NULL;
    struct gg_thread *t = here();
    if (!t)
        return GREEN_ENOMEM;
    green_collect();
    green_t *g = get();
    if (!g)
        return GREEN_ENOMEM;
    green_retain(g);
    int rc = wrap(out, g, t);
    if (rc != GREEN_OK)
        green_release(g);
    return rc;
}

int gg_current(gg_handle **out) { return wrap_borrowed(out, green_current); }

int gg_main(gg_handle **out) { return wrap_borrowed(out, green_main); }

int gg_same(gg_handle *a, gg_handle *b)
{
    green_t *ga, *gb;
    int rc = enter(a, &ga);
    if (rc != GREEN_OK)
        return rc;
    rc = enter(b, &gb);
    if (rc != GREEN_OK)
        return rc;
    return ga == gb;
}

int gg_close(gg_handle *h)
{
    green_t *g;
    int rc = enter(h, &g);
    if (rc != GREEN_OK)
        return rc;
    /* Closed before the release: a kill it causes runs C code that may
     * not come back to this handle, but nothing may see it half-closed. */
    atomic_store(&h->g, NULL);
    green_release(g);
    return GREEN_OK;
}

/*
 * Called by Go's cleanup once the Go value holding h is unreachable, on
 * whatever thread runs cleanups. Runs no libgreen code that could switch:
 * a deferred release hands the greenlet to its owner thread, which kills
 * it on its next call into the binding (or Reap, or when it ends); only
 * if that thread has ended is it freed here.
 */
void gg_drop(gg_handle *h)
{
    if (!h)
        return;
    green_t *g = atomic_load(&h->g);
    if (g) {
        atomic_fetch_add(&gg_ndropped, 1);
        green_release_deferred(g);
    }
    free_handle(h);
}

int gg_reap(void)
{
    if (!here())
        return GREEN_ENOMEM;
    return green_collect();
}

int gg_hook(int add, void *fn, uintptr_t data)
{
    if (!here())
        return GREEN_ENOMEM;
    green_collect();
    if (add)
        return green_hook_add((green_hook_fn)fn, (void *)data);
    return green_hook_remove((green_hook_fn)fn, (void *)data);
}

int gg_owned_here(gg_handle *h) { return h && h->owner == gg_tls; }

uintptr_t gg_thread_id(void)
{
    struct gg_thread *t = here();
    return t ? t->serial : 0;
}

struct gg_thread *gg_thread_hold(void)
{
    struct gg_thread *t = here();
    if (t)
        atomic_fetch_add(&t->refs, 1);
    return t;
}

int gg_thread_wait_end(struct gg_thread *t, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&t->lock);
    int rc = 0;
    while (!t->exited && rc == 0)
        rc = pthread_cond_timedwait(&t->ended, &t->lock, &until);
    int ended = t->exited;
    pthread_mutex_unlock(&t->lock);
    return ended;
}

void gg_thread_put(struct gg_thread *t) { thread_unref(t); }

int gg_on_main_thread(void)
{
#if defined(__linux__)
    return syscall(SYS_gettid) == getpid();
#elif defined(__APPLE__) || defined(__FreeBSD__)
    return pthread_main_np() == 1;
#else
    return 0;
#endif
}

long gg_dropped(void) { return atomic_load(&gg_ndropped); }
