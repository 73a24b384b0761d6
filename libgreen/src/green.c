/* SPDX-License-Identifier: MIT */
/*
 * green.c - greenlets: creation, switching, throwing, parents, lifetime.
 *
 * Ownership rules inside the library:
 *  - a greenlet holds a reference to its parent and to its thread state;
 *  - the thread state holds a reference to its main greenlet;
 *  - nothing holds a reference to the running greenlet: if its last
 *    reference goes while it runs, it is marked GF_ORPHAN and reaped by
 *    the side it next switches to;
 *  - a greenlet's fields other than `refs` are touched only by its own
 *    thread; other threads hand last releases over through the thread's
 *    pending list, except for a never-started greenlet, which the
 *    releasing thread frees itself (nothing of the owner can reach it).
 *
 * Every switch is prepare(), commit(), then resumed() on the other side
 * (see "switching" below); stacks are the stack layer's (stackmode.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define SLOW_ORPHAN (1u << 16) /* green__tstate.slow: current is an orphan */
/* green__tstate.slow: current is a copy-mode greenlet, whose switches away
 * must reserve room for its copy first */
#define SLOW_COPY (1u << 17)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* The calling thread's state; the machine layer reads it too. */
GREEN_TLS struct green__tstate *green__tls;
#define tls_thread green__tls

/* The machine layer's view of the structs (arch.h) must be right. */
#define LAYOUT(type, field, off)                                              \
    _Static_assert(offsetof(struct type, field) == (off), #type "." #field)
LAYOUT(green, thread, GREEN_G_THREAD);
LAYOUT(green, sp, GREEN_G_SP);
LAYOUT(green, run, GREEN_G_RUN);
LAYOUT(green, result_out, GREEN_G_RESULT_OUT);
LAYOUT(green__tstate, current, GREEN_T_CURRENT);
LAYOUT(green__tstate, slow, GREEN_T_SLOW);
LAYOUT(green__tstate, pending_flag, GREEN_T_PENDING);
LAYOUT(green__tstate, discard, GREEN_T_DISCARD);
LAYOUT(green__tstate, tp, GREEN_T_TP);
_Static_assert((GREEN_API_RESUMABLE & GREEN_API_FAST & GREEN_API_DIRECT) &&
                   !(GREEN_API_COPY & GREEN_API_DIRECT) &&
                   ((GREEN_API_RESUMABLE | GREEN_API_FAST | GREEN_API_COPY) &
                    ~GREEN_API_MASK) == 0,
               "the fast path takes RESUMABLE and FAST frames, not COPY");
static void thread_exit(void *arg);
static void drop_last(struct green__tstate *t, struct green *g);

/* ---- version and errors ------------------------------------------------- */

int green_version(void) { return GREEN_VERSION; }

const char *green_version_string(void) { return GREEN_VERSION_STRING; }

/* Every return code once: its name comes from the constant, its message
 * is the text. green.h says what each means; append new codes here. */
#define GREEN_CODES(X)                                                        \
    X(GREEN_OK, "success")                                                    \
    X(GREEN_THROWN, "an error payload was thrown")                            \
    X(GREEN_EXIT, "the exit error was thrown")                                \
    X(GREEN_EINVAL, "invalid argument")                                       \
    X(GREEN_ENOMEM, "out of memory")                                          \
    X(GREEN_EDEAD, "the greenlet is dead")                                    \
    X(GREEN_ETHREAD, "the greenlet belongs to another thread")                \
    X(GREEN_ECYCLE, "the parent chain would be a cycle")                      \
    X(GREEN_EMAIN, "not allowed on a main greenlet")                          \
    X(GREEN_ENOSTACK,                                                         \
      "no stack could be mapped (memory, address space or vm.max_map_count)") \
    X(GREEN_EBUSY, "not allowed inside a hook")

const char *green_error_name(int code)
{
    switch (code) {
#define GREEN_CODE_NAME(c, text)                                              \
    case c:                                                                   \
        return #c;
        GREEN_CODES(GREEN_CODE_NAME)
#undef GREEN_CODE_NAME
    }
    return "GREEN_E?";
}

const char *green_strerror(int code)
{
    switch (code) {
#define GREEN_CODE_TEXT(c, text)                                              \
    case c:                                                                   \
        return text;
        GREEN_CODES(GREEN_CODE_TEXT)
#undef GREEN_CODE_TEXT
    }
    return "unknown libgreen return code";
}

/* ---- thread state -------------------------------------------------------- */

/* The process-wide default stack mode (GREEN_STACK_*), 0 until the first
 * thread starts and reads GREEN_STACK_MODE from the environment. */
static atomic_int process_mode;

/* Writes a line on stderr without stdio (no lock, no allocation). */
static void say(const char *const parts[], size_t n)
{
    char line[256];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        for (const char *c = parts[i]; *c && len < sizeof line - 1; c++)
            line[len++] = *c;
    line[len++] = '\n';
    green__os_write_err(line, len);
}

/* The process default from GREEN_STACK_MODE: exactly "guarded", "copy"
 * or "auto"; unset or empty means guarded, and so does anything else,
 * which is reported once on stderr. */
static int mode_from_env(void)
{
    const char *e = getenv("GREEN_STACK_MODE");
    if (!e || !*e || strcmp(e, "guarded") == 0)
        return GREEN_STACK_GUARDED;
    if (strcmp(e, "copy") == 0)
        return GREEN_STACK_COPY;
    if (strcmp(e, "auto") == 0)
        return GREEN_STACK_AUTO;
    static atomic_int reported;
    if (!atomic_exchange(&reported, 1)) {
        char shown[65];
        size_t i = 0;
        for (; e[i] && i < sizeof shown - 1; i++)
            shown[i] = e[i] >= 0x20 && e[i] < 0x7f ? e[i] : '?';
        shown[i] = 0;
        const char *parts[] = {"libgreen: GREEN_STACK_MODE=\"", shown,
                               "\" is not guarded, copy or auto: using "
                               "guarded stacks"};
        say(parts, 3);
    }
    return GREEN_STACK_GUARDED;
}

/*
 * A thread's state and its main greenlet, in one anonymous mapping: made
 * with mmap(), not malloc(), so that a thread's first green_current() (or
 * green_main()) is async-signal-safe, as green.h promises. The key whose
 * destructor ends the thread is made when the library is loaded.
 */
struct thread_block {
    struct green__tstate t;
    struct green m;
};

__attribute__((constructor)) static void on_load(void)
{
    green__os_key_init(thread_exit);
}

static void thread_unref(struct green__tstate *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        green__os_free(t, sizeof(struct thread_block));
}

/* The calling thread's thread pointer, as the fast path reads it. */
static inline void *thread_pointer(void)
{
#if defined(GREEN_ARCH_FAST_FRAME) && defined(__x86_64__)
    void *tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    return tp;
#elif defined(GREEN_ARCH_FAST_FRAME) && defined(__aarch64__)
    void *tp;
    __asm__("mrs %0, tpidr_el0" : "=r"(tp));
    return tp;
#else
    return NULL; /* no fast path reads it */
#endif
}

static struct green__tstate *thread_init(void)
{
    if (!green__os_key_init(thread_exit)) /* done at load */
        return NULL;
    if (!atomic_load(&process_mode)) {
        int unset = 0;
        atomic_compare_exchange_strong(&process_mode, &unset, mode_from_env());
    }
    struct thread_block *b = green__os_alloc(sizeof *b);
    if (!b)
        return NULL;
    struct green__tstate *t = &b->t; /* zero-filled */
    struct green *m = &b->m;
    if (green__os_key_set(t) != 0) {
        green__os_free(b, sizeof *b);
        return NULL;
    }
    atomic_init(&t->refs, 2); /* the thread, its main greenlet */
    t->live.live_next = t->live.live_prev = &t->live;
    atomic_init(&m->refs, 1); /* held by the thread */
    m->thread = t;
    m->state = GREEN_STATE_RUNNING;
    m->flags = GF_MAIN;
    m->mode = GREEN_STACK_GUARDED; /* the thread's own stack */
#ifdef GREEN_TSAN
    m->tsan_fiber = __tsan_get_current_fiber(); /* the thread's own */
#endif
    t->main = t->current = m;
    t->tp = thread_pointer();
    tls_thread = t;
    return t;
}

static inline struct green__tstate *thread_get(void)
{
    struct green__tstate *t = tls_thread;
    return likely(t != NULL) ? t : thread_init();
}

/* The calling thread's state, for a call that hooks may not make:
 * GREEN_OK, GREEN_ENOMEM or GREEN_EBUSY. */
static int thread_enter(struct green__tstate **tp)
{
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    if (t->in_hook)
        return GREEN_EBUSY;
    *tp = t;
    return GREEN_OK;
}

static void live_add(struct green__tstate *t, struct green *g)
{
    g->live_next = t->live.live_next;
    g->live_prev = &t->live;
    t->live.live_next->live_prev = g;
    t->live.live_next = g;
}

static void live_del(struct green *g)
{
    g->live_prev->live_next = g->live_next;
    g->live_next->live_prev = g->live_prev;
    g->live_next = g->live_prev = NULL;
}

/* Takes the greenlets other threads released and reaps them here;
 * returns how many it took. */
static int process_pending(struct green__tstate *t)
{
    int n = 0;
    /* Clear the flag first: a release queued after the exchange sets it
     * again (the exchange's release order keeps the store before it). */
    atomic_store_explicit(&t->pending_flag, 0, memory_order_relaxed);
    struct green *list =
        atomic_exchange_explicit(&t->pending, NULL, memory_order_acq_rel);
    while (list) {
        struct green *g = list;
        list = g->pending_next;
        g->pending_next = NULL;
        drop_last(t, g);
        n++;
    }
    return n;
}

static inline void check_pending(struct green__tstate *t)
{
    if (unlikely(atomic_load_explicit(&t->pending_flag, memory_order_relaxed)))
        process_pending(t);
}

/*
 * Queues g (refs == 0) for its owner; returns 0 if the owner has ended, in
 * which case the caller frees g. A lock-free push: a process that forks
 * while another thread queues here leaves its child no lock to wait for.
 */
static int queue_pending(struct green__tstate *t, struct green *g)
{
    struct green *head =
        atomic_load_explicit(&t->pending, memory_order_relaxed);
    do {
        if (head == GREEN_PENDING_CLOSED)
            return 0;
        g->pending_next = head;
    } while (!atomic_compare_exchange_weak_explicit(
        &t->pending, &head, g, memory_order_release, memory_order_relaxed));
    atomic_store_explicit(&t->pending_flag, 1, memory_order_relaxed);
    return 1;
}

/* ---- hooks --------------------------------------------------------------- */

static int event_of(int kind)
{
    switch (kind) {
    case GREEN_THROWN:
        return GREEN_EVENT_THROW;
    case GREEN_EXIT:
        return GREEN_EVENT_EXIT;
    default:
        return GREEN_EVENT_SWITCH;
    }
}

static void run_hooks(struct green__tstate *t, int event, int phase,
                      struct green *origin, struct green *target)
{
    t->in_hook++;
    for (unsigned i = 0; i < t->nhooks; i++)
        t->hooks[i].fn(t->hooks[i].data, event, phase, origin, target);
    t->in_hook--;
}

int green_hook_add(green_hook_fn fn, void *data)
{
    if (!fn)
        return GREEN_EINVAL;
    struct green__tstate *t;
    int rc = thread_enter(&t);
    if (rc != GREEN_OK)
        return rc;
    if (t->nhooks == GREEN_HOOKS_MAX)
        return GREEN_ENOMEM;
    t->hooks[t->nhooks].fn = fn;
    t->hooks[t->nhooks].data = data;
    t->nhooks++;
    t->slow = t->nhooks | (t->slow & (SLOW_ORPHAN | SLOW_COPY));
    return GREEN_OK;
}

int green_hook_remove(green_hook_fn fn, void *data)
{
    struct green__tstate *t = tls_thread;
    if (!t)
        return GREEN_EINVAL;
    if (t->in_hook)
        return GREEN_EBUSY;
    for (unsigned i = 0; i < t->nhooks; i++) {
        if (t->hooks[i].fn == fn && t->hooks[i].data == data) {
            for (unsigned j = i + 1; j < t->nhooks; j++)
                t->hooks[j - 1] = t->hooks[j];
            t->nhooks--;
            t->slow = t->nhooks | (t->slow & (SLOW_ORPHAN | SLOW_COPY));
            return GREEN_OK;
        }
    }
    return GREEN_EINVAL;
}

/* ---- lifetime ------------------------------------------------------------ */

/* Frees g (refs == 0, never started or dead). Returns its parent if that
 * lost its last reference too, so that the caller goes on with it. */
static struct green *free_greenlet(struct green__tstate *owner_here,
                                   struct green *g)
{
    struct green *parent = g->parent;
    struct green__tstate *t = g->thread;
    green__stack_release(owner_here, g);
    if (g->userdata_free)
        g->userdata_free(g->userdata);
    if (!(g->flags & GF_MAIN))
        free(g); /* a main greenlet goes with its thread's block */
    thread_unref(t);
    if (parent &&
        atomic_fetch_sub_explicit(&parent->refs, 1, memory_order_acq_rel) == 1)
        return parent;
    return NULL;
}

static int switch_to(struct green__tstate *t, struct green *target, int kind,
                     void *value, void **result);

/* Drops one reference that the library held to g; returns g if that was
 * the last one, for the caller's drop_last() loop. */
static inline struct green *unref(struct green *g)
{
    return atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1
               ? g
               : NULL;
}

/*
 * Throws exit into a suspended greenlet nobody references any more. Its
 * old parent may lose its last reference here: that one is returned, not
 * dropped, so that drop_last() goes on with it in its loop. A chain of
 * suspended greenlets, each the parent of the next, then dies link after
 * link in constant stack, however long it is.
 */
static struct green *kill_orphan(struct green__tstate *t, struct green *g)
{
    atomic_store_explicit(&g->refs, 1, memory_order_relaxed); /* ours */
    struct green *old_parent = g->parent;
    g->parent = t->current;
    atomic_fetch_add_explicit(&g->parent->refs, 1, memory_order_relaxed);
    /* While the killer waits for g here, it is not at a switch of its own:
     * a kill of the killer itself waits until it is back (drop_last). */
    struct green *killer = t->current;
    killer->flags |= GF_KILLING;
    int rc = switch_to(t, g, GREEN_EXIT, NULL, NULL);
    killer->flags &= ~GF_KILLING;
    if (rc < 0) {
        /* Nothing was switched (the current greenlet runs in copy mode and
         * its stack could not be given room to be saved): g was not killed,
         * so it neither survived a kill nor leaks. Undo, and try again at
         * the thread's next call into libgreen. */
        g->parent = old_parent;
        atomic_store_explicit(&g->refs, 0, memory_order_relaxed);
        if (!queue_pending(t, g))
            g->flags |= GF_LEAKED; /* not reached: t is this thread */
        green_release(killer); /* running: only marked an orphan */
        return NULL;
    }
    if (LOAD(g->state) != GREEN_STATE_DEAD) {
        /* It caught the exit and switched back here: it keeps our
         * reference forever, since its stack may be live. */
        g->flags |= GF_LEAKED;
        if (t->nhooks)
            run_hooks(t, GREEN_EVENT_LEAK, GREEN_PHASE_AFTER, t->current, g);
    } else {
        /* Dead: freeing it drops a reference to the killer, which runs,
         * so this goes no deeper. */
        green_release(g);
    }
    return old_parent ? unref(old_parent) : NULL;
}

/* g has no references left. On its owner thread: free it, kill it, or mark
 * it to be reaped once it stops running. Elsewhere: hand it to the owner.
 * Whatever loses its last reference on the way (parents of freed or killed
 * greenlets) is handled by the same loop, never by recursion. */
static void drop_last(struct green__tstate *here, struct green *g)
{
    while (g) {
        struct green__tstate *t = g->thread;
        if (t != here && LOAD(g->state) == GREEN_STATE_NEW) {
            /* Never started: it has no stack, and with no reference left
             * nothing of its owner can reach it. Free it here, on the
             * releasing thread, as green_release() promises, instead of
             * waiting for the owner's next call into libgreen. */
            g = free_greenlet(NULL, g);
            continue;
        }
        if (t != here || t->in_hook) {
            if (queue_pending(t, g))
                return;
            /* The owner has ended: everything of it is dead. */
            g = free_greenlet(NULL, g);
            continue;
        }
        int state = green__state_of(g);
        if ((g->flags & GF_ORPHAN) && state != GREEN_STATE_RUNNING)
            return; /* it just switched away: after_switch() reaps it */
        switch (state) {
        case GREEN_STATE_RUNNING:
            g->flags |= GF_ORPHAN;
            t->slow |= SLOW_ORPHAN;
            return;
        case GREEN_STATE_SUSPENDED:
            if (g->flags & GF_LEAKED)
                return;
            if (g->flags & GF_KILLING) {
                /* Waiting in a kill of its own (its frame is inside
                 * kill_orphan(), not at a switch it made): killing it now
                 * would resume it there. Again at the next check. */
                if (!queue_pending(t, g))
                    g->flags |= GF_LEAKED; /* not reached: t is running */
                return;
            }
            g = kill_orphan(t, g);
            continue;
        default:
            g = free_greenlet(t, g);
        }
    }
}

int green_retain(green_t *g)
{
    if (!g)
        return GREEN_EINVAL;
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return GREEN_OK;
}

/* Drops one reference to g; a last one is handled as made on `here`. */
static int release(green_t *g, struct green__tstate *here)
{
    if (!g)
        return GREEN_EINVAL;
    if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        drop_last(here, g);
    return GREEN_OK;
}

int green_release(green_t *g) { return release(g, tls_thread); }

/* As a release from another thread: nothing runs here. */
int green_release_deferred(green_t *g) { return release(g, NULL); }

/* ---- creation ------------------------------------------------------------ */

#define ATTR_HAS(a, field)                                                    \
    ((a)->size >= offsetof(green_attr, field) + sizeof((a)->field))

/*
 * green_attr_init() has two versions: a program built against 1.0 or 1.1
 * has a green_attr that ends at stack_mode and gets the old one, which
 * writes no further; a program built against 1.2 or later gets the
 * current one (see abi/README.md).
 */
/* sizeof(green_attr) in 1.0 and 1.1: the new field starts where the old
 * struct ended (after stack_mode's padding). */
#define ATTR_SIZE_1_0 offsetof(green_attr, guard_size)

#ifndef _WIN32 /* no symbol versions: the DLL exports the newest */
__asm__(".symver green__attr_init_1_0, green_attr_init@GREEN_1.0");
__asm__(".symver green__attr_init_1_2, green_attr_init@@GREEN_1.2");
#endif

GREEN_API int green__attr_init_1_0(green_attr *attr)
{
    if (!attr)
        return GREEN_EINVAL;
    green_attr init = GREEN_ATTR_INIT;
    init.size = ATTR_SIZE_1_0;
    memcpy(attr, &init, ATTR_SIZE_1_0);
    return GREEN_OK;
}

GREEN_API int green__attr_init_1_2(green_attr *attr)
{
    if (!attr)
        return GREEN_EINVAL;
    green_attr init = GREEN_ATTR_INIT;
    *attr = init;
    return GREEN_OK;
}

#ifdef _WIN32 /* no symbol versions: green_attr_init is the newest */
int green_attr_init(green_attr *attr)
    __attribute__((alias("green__attr_init_1_2")));
#endif

/* What green_create() takes from its attributes. */
struct create_opts {
    size_t stack_size, guard_size; /* guard 0: GREEN_GUARD_DEFAULT */
    int mode;
    void *userdata;
    void (*userdata_free)(void *);
};

/* Reads attr (NULL: every default) into o. GREEN_OK or GREEN_EINVAL. */
static int read_attr(const green_attr *attr, struct create_opts *o)
{
    *o = (struct create_opts){GREEN_STACK_DEFAULT, 0, GREEN_STACK_MODE_DEFAULT,
                              NULL, NULL};
    if (!attr)
        return GREEN_OK;
    if (!ATTR_HAS(attr, stack_size))
        return GREEN_EINVAL;
    if (attr->stack_size) {
        if (attr->stack_size < GREEN_STACK_MIN ||
            attr->stack_size > GREEN_STACK_MAX)
            return GREEN_EINVAL;
        o->stack_size = attr->stack_size;
    }
    if (ATTR_HAS(attr, userdata))
        o->userdata = attr->userdata;
    if (ATTR_HAS(attr, userdata_free))
        o->userdata_free = attr->userdata_free;
    if (ATTR_HAS(attr, stack_mode))
        o->mode = attr->stack_mode;
    if (o->mode < GREEN_STACK_MODE_DEFAULT || o->mode > GREEN_STACK_AUTO)
        return GREEN_EINVAL;
    if (ATTR_HAS(attr, guard_size))
        o->guard_size = attr->guard_size;
    return o->guard_size > GREEN_GUARD_MAX ? GREEN_EINVAL : GREEN_OK;
}

int green_attr_init_size(green_attr *attr, size_t size)
{
    if (!attr || size < ATTR_SIZE_1_0)
        return GREEN_EINVAL;
    green_attr init = GREEN_ATTR_INIT;
    init.size = size;
    if (size > sizeof init) {
        memset((char *)attr + sizeof init, 0, size - sizeof init);
        size = sizeof init;
    }
    memcpy(attr, &init, size);
    return GREEN_OK;
}

int green_create(green_t **out, green_run_fn run, green_t *parent,
                 const green_attr *attr)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    struct create_opts o;
    if (!run || read_attr(attr, &o) != GREEN_OK)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    if (parent && parent->thread != t)
        return GREEN_ETHREAD;
    check_pending(t);
    green__overflow_thread_setup(); /* a report without one: the default */
    if (!parent)
        parent = t->current;
    if (o.mode == GREEN_STACK_MODE_DEFAULT)
        o.mode = t->default_mode ? t->default_mode : atomic_load(&process_mode);
    if (green__stack_admit(t, o.mode) != GREEN_OK)
        return GREEN_ENOSTACK;

    struct green *g = malloc(sizeof *g);
    if (!g)
        return GREEN_ENOMEM;
    *g = (struct green){.thread = t, .parent = parent, .run = run,
                        .state = GREEN_STATE_NEW, .userdata = o.userdata,
                        .userdata_free = o.userdata_free};
    atomic_init(&g->refs, 1);
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&parent->refs, 1, memory_order_relaxed);
    green__stack_init(g, o.mode, o.stack_size, o.guard_size);
    *out = g;
    return GREEN_OK;
}

/* ---- switching -----------------------------------------------------------
 * Every switch is made of the same three steps, whichever way it comes:
 * green_switch() through the machine layer (fast or slow), a throw, a
 * finishing greenlet, a kill.
 *  1. prepare(): what can fail, before anything changes: the target's
 *     stack, room to save the origin's;
 *  2. commit(): the target becomes current (make_current(), which the fast
 *     paths of green__switch_prepare() and of the machine layer are), with
 *     what the resumed side needs to know;
 *  3. on the resumed side, resumed(): the value, and the rare work after a
 *     switch (after_switch(): a dead origin's stack, hooks, reaping).
 */

#ifdef GREEN_TSAN
GREEN_NO_TSAN void green__tsan_switch(void)
{
    struct green *g = tls_thread->current;
    if (!g->tsan_fiber)
        g->tsan_fiber = __tsan_create_fiber(0);
    __tsan_switch_to_fiber(g->tsan_fiber, 0);
}

/* A greenlet that can never run again gives its fiber back. */
static void tsan_forget(struct green *g)
{
    if (g->tsan_fiber) {
        __tsan_destroy_fiber(g->tsan_fiber);
        g->tsan_fiber = NULL;
    }
}
#else
#define tsan_forget(g) ((void)0)
#endif

/* g can never run again (dead, or its thread ends): gives back its stack
 * and what the sanitizers keep for it. `here` as green__stack_release(). */
static void release_stack(struct green__tstate *here, struct green *g)
{
    tsan_forget(g);
    green__stack_release(here, g);
}

/* The rare work after a switch: a dead origin's stack, hooks, reaping. */
static __attribute__((noinline)) void after_switch(struct green__tstate *t,
                                                   struct green *origin)
{
    if (origin->state == GREEN_STATE_DEAD)
        release_stack(t, origin); /* we are off its stack now */
    if (t->nhooks)
        run_hooks(t, t->xfer_event, GREEN_PHASE_AFTER, origin, t->current);
    /* Releases queued meanwhile first: one of them may be the orphan's own
     * second last release, which drop_last() leaves to the reaping below
     * (so that it is freed once, not once per release). Any other origin
     * may be freed there: it is not touched after. */
    int orphan = origin->flags & GF_ORPHAN;
    check_pending(t);
    if (orphan) {
        origin->flags &= ~GF_ORPHAN;
        /* It may have taken a reference to itself again after dropping the
         * last one (its `self` or green_current() is a borrowed handle,
         * which green_retain() may keep): then it lives on. */
        if (atomic_load_explicit(&origin->refs, memory_order_acquire) == 0)
            drop_last(t, origin);
    }
}

/* AddressSanitizer: the stack the switch goes to (before it), and the end
 * of the switch on the new stack (first thing after it). */
static inline void asan_leave(struct green__tstate *t, struct green *origin,
                              struct green *target)
{
#ifdef GREEN_ASAN
    const struct green__stack *st = green__stack_of(t, target);
    const void *bottom = st ? st->base : target->asan_bottom;
    size_t size = st ? green__stack_bytes(st) : target->asan_size;
    __sanitizer_start_switch_fiber(
        origin->state == GREEN_STATE_DEAD ? NULL : &origin->asan_fake, bottom,
        size);
#else
    (void)t, (void)origin, (void)target;
#endif
}

static inline void asan_arrive(struct green__tstate *t)
{
#ifdef GREEN_ASAN
    const void *bottom = NULL;
    size_t size = 0;
    struct green *origin = t->xfer_origin;
    __sanitizer_finish_switch_fiber(t->current->asan_fake, &bottom, &size);
    if ((origin->flags & GF_MAIN) && !origin->asan_bottom) {
        origin->asan_bottom = bottom; /* the thread's own stack */
        origin->asan_size = size;
    }
#else
    (void)t;
#endif
}

/* Runs on the side that was switched to, right after the stack switch. */
static inline int resumed(struct green__tstate *t, void **result)
{
    asan_arrive(t);
    int kind = t->xfer_kind;
    void *value = t->xfer_value;
    struct green *origin = t->xfer_origin;
    if (unlikely(t->nhooks | (origin->flags & GF_ORPHAN) |
                 (origin->state == GREEN_STATE_DEAD) |
                 atomic_load_explicit(&t->pending_flag,
                                      memory_order_relaxed)))
        after_switch(t, origin);
    if (result)
        *result = value;
    return kind;
}

/*
 * Step 1. Gets target (not current, not dead) ready to be switched to:
 * its stack if it has none yet, and, unless the current greenlet is dead,
 * room to save the current one's live stack down to `lowest`. With lowest
 * NULL the bound is taken below this function's frame, which lies where
 * the frame of the machine layer's switch will (both are called from the
 * same caller), so it is a frame address, never the address of a local:
 * with AddressSanitizer's fake stacks (detect_stack_use_after_return) a
 * local whose address is taken lives on the heap. Changes nothing that
 * another call would have to undo: GREEN_OK, GREEN_ENOSTACK or
 * GREEN_ENOMEM.
 */
static __attribute__((noinline)) int prepare(struct green__tstate *t,
                                             struct green *target,
                                             const void *lowest)
{
    if (target->state == GREEN_STATE_NEW && !target->sp) {
        int rc = green__stack_get(t, target);
        if (rc != GREEN_OK)
            return rc;
    }
    if (t->current->state == GREEN_STATE_DEAD)
        return GREEN_OK;
    if (!lowest)
        lowest = (char *)__builtin_frame_address(0) - GREEN_ARCH_FRAME_MAX;
    return green__stack_reserve(t, lowest);
}

/* The stack pointer to resume target from: a frame that the machine
 * layer's fast path left gets its resume address first (arch.h). */
static inline void *resume_sp(struct green *target)
{
#ifdef GREEN_ARCH_FAST_FRAME
    if (green__api(target) == GREEN_API_FAST)
        *(void **)green__sp(target) = green__switch_resume;
#endif
    return green__sp(target);
}

/* How a greenlet that suspends in green_switch() through the C core
 * waits (GREEN_API_*, arch.h): a copy-mode one only the C core resumes. */
static inline unsigned api_resumable(const struct green *g)
{
    return g->mode == GREEN_STACK_COPY ? GREEN_API_COPY : GREEN_API_RESUMABLE;
}

/*
 * The core of every commit, the fast paths' whole commit: target becomes
 * the running greenlet. frame_sp: origin suspends inside green_switch(),
 * its frame there, what arrives for it to go to `result`; NULL: it
 * suspends in the library (green__arch_switch() stores its stack
 * pointer), or it is dead. t->slow then says whether target is a
 * copy-mode greenlet (an orphan origin is reaped after the switch, not
 * noted). No state byte moves between running and suspended: a started
 * greenlet runs if it is t->current (green__state_of()). The machine
 * layer's fast paths repeat this, on the offsets of arch.h, for the case
 * they take (neither side copy-mode, slow clear, target not new).
 */
static inline __attribute__((always_inline)) void
make_current(struct green__tstate *t, struct green *origin,
             struct green *target, void *frame_sp, void **result)
{
    /* Without frame_sp, green__arch_switch() stores the whole sp word:
     * the bare stack pointer, which the fast path never takes. */
    if (frame_sp) {
        green__set_sp(origin, frame_sp, api_resumable(origin));
        origin->result_out = result ? result : &t->discard;
    }
    if (target->state == GREEN_STATE_NEW)
        STORE(target->state, GREEN_STATE_RUNNING);
    t->current = target;
    t->slow = (t->slow & ~(SLOW_ORPHAN | SLOW_COPY)) |
              (target->mode == GREEN_STACK_COPY ? SLOW_COPY : 0);
}

/*
 * Step 2, after a successful prepare(): commits the switch from the
 * current greenlet to target, delivering (kind, value) to the resumed
 * side (resumed()). Cannot fail. Returns how the machine layer resumes
 * target (from target->sp, its resume address written): GREEN_RESUME_SLOW
 * or GREEN_RESUME_COPY.
 */
static int commit(struct green__tstate *t, struct green *target, int kind,
                  void *value, void *frame_sp, void **result)
{
    struct green *origin = t->current;
    if (target->state == GREEN_STATE_NEW)
        live_add(t, target);
    int event = event_of(kind);
    if (t->nhooks)
        run_hooks(t, event, GREEN_PHASE_BEFORE, origin, target);
    t->xfer_kind = kind;
    t->xfer_value = value;
    t->xfer_origin = origin;
    t->xfer_event = event;
    resume_sp(target);
    make_current(t, origin, target, frame_sp, result);
    asan_leave(t, origin, target);
    return green__stack_resume(t, target);
}

/* Switches from the current greenlet to target (not current, not dead;
 * started unless kind is GREEN_OK), delivering (kind, value), inside the
 * library: throws, finishing greenlets, kills. */
static int switch_to(struct green__tstate *t, struct green *target, int kind,
                     void *value, void **result)
{
    int rc = prepare(t, target, NULL);
    if (rc != GREEN_OK)
        return rc;
    struct green *origin = t->current;
    int how = commit(t, target, kind, value, NULL, NULL);
    green__arch_switch((void **)&origin->sp, green__sp(target),
                       how == GREEN_RESUME_COPY);
    return resumed(t, result);
}

/*
 * Delivers (kind, value) to target the way a throw or a finished greenlet
 * does: a dead target passes it to its parent; a target that never started
 * receives an error by dying unstarted and passing it on (exit becoming an
 * ordinary value). Nothing changes if the final switch fails.
 */
static int deliver(struct green__tstate *t, struct green *target, int kind,
                   void *value, void **result)
{
    struct green *dest = target;
    int k = kind;
    for (;;) {
        if (dest->state == GREEN_STATE_DEAD) {
            dest = dest->parent;
        } else if (dest->state == GREEN_STATE_NEW && k != GREEN_OK) {
            if (k == GREEN_EXIT)
                k = GREEN_OK;
            dest = dest->parent;
        } else {
            break;
        }
    }
    if (dest != t->current) {
        /* What can fail, before the greenlets on the way die. */
        int rc = prepare(t, dest, NULL);
        if (rc != GREEN_OK)
            return rc;
    }
    /* Commit: the unstarted greenlets on the way die without running. */
    for (struct green *g = target; g != dest; g = g->parent)
        if (g->state == GREEN_STATE_NEW)
            STORE(g->state, GREEN_STATE_DEAD);
    if (dest == t->current) {
        if (result)
            *result = value;
        return k;
    }
    return switch_to(t, dest, k, value, result);
}

/* Called by the machine layer's entry on a new greenlet's stack, which
 * then calls self->run(self, in, &out) with `out` in its own small frame:
 * that frame stays on the stack for the greenlet's whole life (and is
 * saved with it in copy mode), this function's does not. */
struct green__start green__begin(void)
{
    struct green__tstate *t = tls_thread;
    struct green__start b = {t->current, NULL};
    resumed(t, &b.in);
    return b;
}

/* Called by the machine layer's entry when the body returned rc: the
 * finished greenlet hands its result on; never returns. */
void green__finish(int rc, void *out)
{
    struct green__tstate *t = tls_thread;
    struct green *self = t->current;
    if (rc == GREEN_EXIT)
        rc = GREEN_OK;
    else if (rc != GREEN_OK)
        rc = GREEN_THROWN;
    STORE(self->state, GREEN_STATE_DEAD);
    live_del(self);
    for (struct green *to = self->parent;;) {
        /* Fails only if a parent that never started cannot get a stack:
         * that one dies unstarted and the result moves up. */
        deliver(t, to, rc, out, NULL);
        while (to->state != GREEN_STATE_NEW)
            to = to->parent;
        STORE(to->state, GREEN_STATE_DEAD);
        to = to->parent;
    }
}

static int check_target(struct green__tstate **tp, struct green *g)
{
    if (!g)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    if (g->thread != t)
        return GREEN_ETHREAD;
    if (t->in_hook)
        return GREEN_EBUSY;
    check_pending(t);
    *tp = t;
    return GREEN_OK;
}

/* Every case but a plain switch between two greenlets in green_switch(). */
static __attribute__((noinline)) struct green__prepared
prepare_slow(struct green *target, void *value, void **result, void *frame_sp)
{
    struct green__prepared p = {NULL, GREEN_OK};
    struct green__tstate *t;
    p.rc = check_target(&t, target);
    if (p.rc != GREEN_OK)
        return p;
    if (target->state == GREEN_STATE_DEAD) {
        p.rc = GREEN_EDEAD;
        return p;
    }
    if (target == t->current) {
        if (result)
            *result = value;
        return p;
    }
    p.rc = prepare(t, target, frame_sp);
    if (p.rc != GREEN_OK)
        return p;
    p.rc = commit(t, target, GREEN_OK, value, frame_sp, result);
    p.sp = green__sp(target);
    return p;
}

struct green__prepared green__switch_prepare(struct green *target,
                                             void *value, void **result,
                                             void *frame_sp)
{
    struct green__tstate *t = tls_thread;
#ifdef GREEN_ASAN
    /* every switch tells the sanitizer, on both sides: no fast path */
    return prepare_slow(target, value, result, frame_sp);
#endif
    /* target->thread is never NULL, so this also covers t == NULL. A
     * copy-mode origin (SLOW_COPY) must reserve room for its copy. */
    if (unlikely(!target || target->thread != t ||
                 !(green__api(target) & GREEN_API_DIRECT) ||
                 target == t->current || t->slow ||
                 atomic_load_explicit(&t->pending_flag,
                                      memory_order_relaxed)))
        return prepare_slow(target, value, result, frame_sp);
    /* Fast path: target waits in green_switch() too and nothing needs to
     * run after the switch, so deliver the value from here. */
    *target->result_out = value;
    struct green__prepared p = {resume_sp(target), GREEN_RESUME_FAST};
    make_current(t, t->current, target, frame_sp, result);
    return p;
}

int green__switch_resumed(void)
{
    struct green__tstate *t = tls_thread;
    return resumed(t, t->current->result_out);
}

int green_throw(green_t *target, void *payload, void **result)
{
    struct green__tstate *t;
    int rc = check_target(&t, target);
    if (rc != GREEN_OK)
        return rc;
    return deliver(t, target, GREEN_THROWN, payload, result);
}

int green_throw_exit(green_t *target, void *payload, void **result)
{
    struct green__tstate *t;
    int rc = check_target(&t, target);
    if (rc != GREEN_OK)
        return rc;
    /* A main greenlet cannot be killed: not directly, nor through a dead
     * greenlet passing the exit on to it (a never-started one on the way
     * turns the exit into an ordinary value, which main may receive). */
    struct green *dest = target;
    while (dest->state == GREEN_STATE_DEAD)
        dest = dest->parent;
    if (dest->flags & GF_MAIN)
        return GREEN_EMAIN;
    return deliver(t, target, GREEN_EXIT, payload, result);
}

/* ---- queries and parents ------------------------------------------------- */

green_t *green_current(void)
{
    struct green__tstate *t = thread_get();
    return likely(t != NULL) ? t->current : NULL;
}

green_t *green_main(void)
{
    struct green__tstate *t = thread_get();
    return likely(t != NULL) ? t->main : NULL;
}

int green_get_parent(green_t *g, green_t **parent)
{
    if (!g || !parent)
        return GREEN_EINVAL;
    *parent = LOAD(g->parent);
    return GREEN_OK;
}

int green_set_parent(green_t *g, green_t *parent)
{
    if (!g || !parent)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    if (g->thread != t || parent->thread != t)
        return GREEN_ETHREAD;
    if (g->flags & GF_MAIN)
        return GREEN_EMAIN;
    for (struct green *p = parent; p; p = p->parent)
        if (p == g)
            return GREEN_ECYCLE;
    struct green *old = g->parent;
    if (old == parent)
        return GREEN_OK;
    atomic_fetch_add_explicit(&parent->refs, 1, memory_order_relaxed);
    STORE(g->parent, parent);
    green_release(old);
    return GREEN_OK;
}

int green_adopt(green_t *g, green_t *parent)
{
    if (!g || !parent)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    if (parent->thread != t)
        return GREEN_ETHREAD;
    if (g->flags & GF_MAIN)
        return GREEN_EMAIN;
    struct green__tstate *old_t = g->thread;
    if (old_t == t)
        return green_set_parent(g, parent);
    /* Only a greenlet that never ran can move: it has no stack yet, and
     * is on none of its thread's lists (the caller holds a reference, so
     * it is not waiting to be released either). */
    if (LOAD(g->state) != GREEN_STATE_NEW)
        return GREEN_ETHREAD;
    for (struct green *p = parent; p; p = p->parent)
        if (p == g)
            return GREEN_ECYCLE;
    if (green__stack_admit(t, g->mode) != GREEN_OK)
        return GREEN_ENOSTACK;
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&parent->refs, 1, memory_order_relaxed);
    struct green *old = g->parent;
    STORE(g->thread, t);
    STORE(g->parent, parent);
    /* The old parent belongs to the old thread: released as any greenlet
     * released from another thread. */
    green_release(old);
    thread_unref(old_t);
    return GREEN_OK;
}

int green_set_stack_mode(int mode, int scope)
{
    if (mode < GREEN_STACK_MODE_DEFAULT || mode > GREEN_STACK_AUTO)
        return GREEN_EINVAL;
    if (scope == GREEN_SCOPE_PROCESS) {
        if (mode == GREEN_STACK_MODE_DEFAULT)
            return GREEN_EINVAL;
        struct green__tstate *t = thread_get(); /* reads the environment */
        if (!t)
            return GREEN_ENOMEM;
        atomic_store(&process_mode, mode);
        return GREEN_OK;
    }
    if (scope != GREEN_SCOPE_THREAD)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    t->default_mode = mode;
    return GREEN_OK;
}

int green_set_default_stack_mode(int mode, int scope)
{
    return green_set_stack_mode(mode, scope);
}

int green_default_stack_mode(int scope)
{
    if (scope != GREEN_SCOPE_THREAD && scope != GREEN_SCOPE_PROCESS)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get(); /* reads the environment */
    if (!t)
        return GREEN_ENOMEM;
    return scope == GREEN_SCOPE_THREAD ? t->default_mode
                                       : atomic_load(&process_mode);
}

int green_stack_mode(const green_t *g)
{
    return g ? LOAD(g->mode) : GREEN_EINVAL;
}

long green_stack_saved(const green_t *g)
{
    if (!g)
        return GREEN_EINVAL;
    struct green__tstate *t = tls_thread;
    if (g->thread != t)
        return GREEN_ETHREAD;
    return green__stack_saved(t, g);
}

int green_state(const green_t *g)
{
    return g ? green__state_of(g) : GREEN_EINVAL;
}

int green_is_main(const green_t *g)
{
    /* From fields that never change (flags do, on the owner thread): any
     * thread may ask. */
    return g ? g == g->thread->main : GREEN_EINVAL;
}

void *green_get_userdata(const green_t *g) { return g ? g->userdata : NULL; }

int green_set_userdata(green_t *g, void *userdata,
                       void (*userdata_free)(void *))
{
    if (!g)
        return GREEN_EINVAL;
    if (g->thread != tls_thread)
        return GREEN_ETHREAD;
    g->userdata = userdata;
    g->userdata_free = userdata_free;
    return GREEN_OK;
}

/* ---- thread end ---------------------------------------------------------- */

int green_collect(void)
{
    struct green__tstate *t;
    int rc = thread_enter(&t);
    if (rc != GREEN_OK)
        return rc;
    if (!atomic_load_explicit(&t->pending_flag, memory_order_relaxed))
        return 0; /* the common case, cheap enough to ask on every call */
    return process_pending(t);
}

/* The first suspended greenlet of t that green_kill_suspended() may still
 * try (not tried yet in this call, not leaked, not waiting inside a kill
 * of its own). */
static struct green *next_to_kill(struct green__tstate *t)
{
    for (struct green *g = t->live.live_next; g != &t->live; g = g->live_next)
        if (green__state_of(g) == GREEN_STATE_SUSPENDED &&
            !(g->flags & (GF_TRIED | GF_LEAKED | GF_KILLING)))
            return g;
    return NULL;
}

static int count_suspended(struct green__tstate *t)
{
    int n = 0;
    for (struct green *g = t->live.live_next; g != &t->live; g = g->live_next)
        n += green__state_of(g) == GREEN_STATE_SUSPENDED;
    return n;
}

int green_kill_suspended(void)
{
    struct green__tstate *t;
    int rc = thread_enter(&t);
    if (rc != GREEN_OK)
        return rc;
    /* Released ones first: they are on the pending list with no reference
     * left, and must not be retained and released here besides. */
    process_pending(t);
    int before = count_suspended(t);
    struct green *g;
    while ((g = next_to_kill(t)) != NULL) {
        g->flags |= GF_TRIED; /* once, whatever it does */
        green_retain(g);
        /* Back to the caller, unless g is one of its ancestors (a cycle):
         * that one stays suspended. */
        if (green_set_parent(g, t->current) == GREEN_OK)
            switch_to(t, g, GREEN_EXIT, NULL, NULL);
        green_release(g);
    }
    for (g = t->live.live_next; g != &t->live; g = g->live_next)
        g->flags &= ~GF_TRIED;
    int died = before - count_suspended(t);
    return died > 0 ? died : 0;
}

int green_set_kill_at_thread_end(int which)
{
    if (which != GREEN_KILL_NONE && which != GREEN_KILL_RELEASED &&
        which != GREEN_KILL_SUSPENDED)
        return GREEN_EINVAL;
    struct green__tstate *t = thread_get();
    if (!t)
        return GREEN_ENOMEM;
    t->kill_at_end = which;
    return GREEN_OK;
}

static void thread_exit(void *arg)
{
    struct green__tstate *t = arg;
    green__overflow_thread_end();
    if (t->current != t->main) {
        /* Ended inside a greenlet: its stack is in use; leak the lot. */
        t->tp = NULL; /* another thread may get this thread pointer */
        tls_thread = NULL;
        return;
    }
    tls_thread = t;
    /* The opt-in kills (green_set_kill_at_thread_end()). */
    if (t->kill_at_end == GREEN_KILL_SUSPENDED)
        green_kill_suspended();
    else if (t->kill_at_end == GREEN_KILL_RELEASED)
        process_pending(t);
    /* Suspended greenlets can never run again: free their stacks, without
     * running them (kills queued by other threads included: the thread's
     * runtime, an interpreter say, may be gone already). */
    while (t->live.live_next != &t->live) {
        struct green *g = t->live.live_next;
        live_del(g);
        green__set_sp(g, NULL, 0);
        STORE(g->state, GREEN_STATE_DEAD);
        release_stack(t, g);
    }
    STORE(t->main->state, GREEN_STATE_DEAD);
    green__stack_thread_end(t);
    t->tp = NULL;
    tls_thread = NULL;
    struct green *late = atomic_exchange_explicit(
        &t->pending, GREEN_PENDING_CLOSED, memory_order_acq_rel);
    while (late) {
        struct green *g = late;
        late = g->pending_next;
        drop_last(NULL, g);
    }
    green_release(t->main);
    thread_unref(t);
}
