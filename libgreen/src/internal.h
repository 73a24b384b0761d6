/* SPDX-License-Identifier: MIT */
/*
 * internal.h - libgreen's private declarations. Never included by green.h.
 */
#ifndef GREEN_INTERNAL_H
#define GREEN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "green.h"

#ifdef _WIN32
/* PE has no visibility: the DLL exports what its .def file lists. The
 * thread pointer is the compiler's emulated TLS (MinGW's GCC). */
#define GREEN_HIDDEN
#define GREEN_TLS __thread
#else
#define GREEN_HIDDEN __attribute__((visibility("hidden")))
#define GREEN_TLS                                                             \
    __thread __attribute__((tls_model("initial-exec"), visibility("hidden")))
#endif
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#include "os.h"

struct green;
struct green__tstate;

/* ---- machine layer (libgreen/arch/<arch>_<abi>.S) ---------------------- */

/*
 * Saves the callee-saved registers and a resume address on the current
 * stack, stores the stack pointer in *save_sp, and resumes the stack whose
 * saved stack pointer is new_sp; with copy != 0, resumes through
 * green__copy_out() and green__copy_in() instead (new_sp is then unused).
 */
GREEN_HIDDEN void green__arch_switch(void **save_sp, void *new_sp, int copy);

/*
 * Prepares a fresh stack [base, base+size) so that resuming the returned
 * stack pointer enters the machine layer's entry (see green__begin()).
 */
GREEN_HIDDEN void *green__arch_init_stack(void *base, size_t size);

/*
 * A new greenlet's first frame, in the machine layer: calls
 * green__begin(), which finishes the switch into it, then
 * self->run(self, in, &out) with `out` (initially NULL) in its own frame,
 * then green__finish(rc, out), which never returns.
 */
struct green__start {
    struct green *self;
    void *in;
};
GREEN_HIDDEN struct green__start green__begin(void);
GREEN_HIDDEN void green__finish(int rc, void *out) __attribute__((noreturn));

/*
 * green_switch() is entered in the machine layer, which saves the caller's
 * frame and calls green__switch_prepare() with its stack pointer. That
 * returns the stack pointer to resume and a resume code of arch.h in rc
 * (GREEN_RESUME_FAST: the value is already stored, green_switch() returns
 * GREEN_OK on the resumed side; GREEN_RESUME_SLOW: call
 * green__switch_resumed() on the resumed side, whose result green_switch()
 * returns; GREEN_RESUME_COPY: see copy mode below); or sp = NULL and rc =
 * the return code when there is nothing to switch. green__arch_switch()
 * always resumes slow.
 */
struct green__prepared {
    void *sp;
    long rc;
};
GREEN_HIDDEN struct green__prepared green__switch_prepare(struct green *target,
                                                        void *value,
                                                        void **result,
                                                        void *frame_sp);
GREEN_HIDDEN int green__switch_resumed(void);
#ifdef GREEN_ARCH_FAST_FRAME
/* Where every green_switch() frame resumes (arch.h, GREEN_API_FAST). */
extern void *const green__switch_resume GREEN_HIDDEN;
#endif

/* ThreadSanitizer builds: called by the machine layer, once the current
 * greenlet is the target, right before it leaves the origin's stack. */
GREEN_HIDDEN void green__tsan_switch(void);

/* ---- guarded stacks (stack.c) ------------------------------------------- */

/*
 * A guarded stack: one mapping, a PROT_NONE guard of guard_units below
 * `units` usable ones. Sizes are kept in units of 4 KiB (every page size
 * is a multiple), so that the struct stays two words in struct green.
 * While a greenlet is new, base is NULL and the sizes are the ones to map.
 */
#define GREEN_STACK_UNIT_SHIFT 12
struct green__stack {
    void *base; /* lowest usable address (the guard lies below) */
    unsigned units;       /* usable size */
    unsigned guard_units; /* guard size */
};
#define green__stack_bytes(st) ((size_t)(st)->units << GREEN_STACK_UNIT_SHIFT)
#define green__guard_bytes(st)                                                \
    ((size_t)(st)->guard_units << GREEN_STACK_UNIT_SHIFT)

#define GREEN_STACK_CACHE 16

struct green__stack_cache {
    unsigned count;
    struct green__stack slots[GREEN_STACK_CACHE];
};

/* Sets st's sizes (bytes, page-rounded here) without mapping anything.
 * guard 0 means GREEN_GUARD_DEFAULT. */
GREEN_HIDDEN void green__guarded_request(struct green__stack *st, size_t size,
                                         size_t guard);
/* Gives st (base NULL, sizes requested) a stack of its sizes, from the
 * cache when one of those sizes is there. GREEN_OK or GREEN_ENOSTACK (st
 * unchanged). */
GREEN_HIDDEN int green__guarded_get(struct green__stack_cache *cache,
                                    struct green__stack *st);
/* Maps a fresh stack of st's requested sizes, bypassing the cache.
 * GREEN_OK or GREEN_ENOSTACK (st unchanged). */
GREEN_HIDDEN int green__guarded_map(struct green__stack *st);
/* How many stacks the process has mapped, and how many auto-mode
 * greenlets may take before they start in copy mode: a quarter of
 * vm.max_map_count (read once). */
GREEN_HIDDEN long green__guarded_mapped(void);
GREEN_HIDDEN long green__guarded_auto_limit(void);
/* Returns st to the cache (unmaps it if cache is NULL or full); st keeps
 * its sizes, base becomes NULL. */
GREEN_HIDDEN void green__guarded_put(struct green__stack_cache *cache,
                                     struct green__stack *st);
/* Unmaps st (base becomes NULL). */
GREEN_HIDDEN void green__guarded_unmap(struct green__stack *st);
/* Unmaps every cached stack. */
GREEN_HIDDEN void green__guarded_flush(struct green__stack_cache *cache);
/* Rounds size up to the page size (0 if it overflows). */
GREEN_HIDDEN size_t green__guarded_round(size_t size);

/* ---- copy-mode stacks (copy.c) ------------------------------------------- */

/*
 * A switch whose target is a copy-mode greenlet not on the shared stack
 * resumes through both functions (prepare returns GREEN_RESUME_COPY,
 * green__arch_switch() gets copy = 1): after saving the origin's frame,
 * the machine layer calls green__copy_out() on the origin's stack; it
 * saves the shared stack's owner and returns a 16-aligned stack pointer
 * on the shared stack below the target's frame. There the machine layer
 * calls green__copy_in(), which puts the target's live stack back and
 * returns the stack pointer to resume.
 */
GREEN_HIDDEN void *green__copy_out(void);
GREEN_HIDDEN void *green__copy_in(void);
/* Maps the thread's shared stack if it is not yet. GREEN_OK or
 * GREEN_ENOSTACK. */
GREEN_HIDDEN int green__copy_shared(struct green__tstate *t);
/* Starts g (new) on the shared stack: marks it prepared. */
GREEN_HIDDEN int green__copy_start(struct green__tstate *t, struct green *g);
/* See green__stack_reserve(). */
GREEN_HIDDEN int green__copy_reserve(struct green__tstate *t,
                                     const void *lowest);
/* Forgets g's saved stack (g died or is freed); t may be NULL (another
 * thread, or the owner has ended). */
GREEN_HIDDEN void green__copy_forget(struct green__tstate *t,
                                     struct green *g);
/* Unmaps the shared stack (thread end). */
GREEN_HIDDEN void green__copy_thread_end(struct green__tstate *t);
/* The marker sp of a copy-mode greenlet prepared to start. */
#define GREEN_COPY_UNSTARTED ((void *)16) /* GREEN_API_MASK bits clear */

/* ---- the stack layer (stackmode.c) ----------------------------------------
 * All that green.c knows of stacks: the guarded and the copy mode (and
 * auto, which picks one of them when a greenlet starts) are behind these
 * calls. A greenlet's mode is GREEN_STACK_GUARDED, _COPY or _AUTO while
 * new, and GUARDED or COPY once it has a stack. */

/* Before a greenlet of `mode` (not the default) is created on t or
 * adopted by it: what t needs for that mode (copy and auto: the shared
 * stack, so that an auto greenlet can fall back to it when no mapping is
 * left). GREEN_OK or GREEN_ENOSTACK. */
GREEN_HIDDEN int green__stack_admit(struct green__tstate *t, int mode);
/* Sets a new greenlet's mode and the sizes its stack will have. */
GREEN_HIDDEN void green__stack_init(struct green *g, int mode, size_t size,
                                    size_t guard);
/* A stack for g (new, not prepared yet), its first frame on it, and g->sp
 * set to resume it. GREEN_OK, or GREEN_ENOSTACK with g unchanged. */
GREEN_HIDDEN int green__stack_get(struct green__tstate *t, struct green *g);
/* Before the current greenlet suspends: makes sure its live stack can be
 * saved down to `lowest` (its saved stack pointer, or a bound below it),
 * so that saving it later cannot fail. GREEN_OK or GREEN_ENOMEM. */
static inline int green__stack_reserve(struct green__tstate *t,
                                       const void *lowest);
/* How the machine layer makes target's stack live when switching to it:
 * GREEN_RESUME_SLOW (it is in place) or GREEN_RESUME_COPY. */
static inline int green__stack_resume(const struct green__tstate *t,
                                      const struct green *target);
/* Releases g's stack (g is dead or freed, its stack no longer in use).
 * `here` is g's thread when the caller runs on it (a guarded stack then
 * goes to its cache), else NULL. */
GREEN_HIDDEN void green__stack_release(struct green__tstate *here,
                                       struct green *g);
/* The mapped stack g runs on (the shared one in copy mode), or NULL (a
 * main greenlet, or none yet). */
GREEN_HIDDEN const struct green__stack *
green__stack_of(const struct green__tstate *t, const struct green *g);
/* green_stack_saved() for g of t: bytes of its saved live stack. */
GREEN_HIDDEN long green__stack_saved(const struct green__tstate *t,
                                     const struct green *g);
/* Thread end: unmaps t's cached stacks and its shared stack. */
GREEN_HIDDEN void green__stack_thread_end(struct green__tstate *t);

/* ---- overflow report (overflow.c, os_win32.c, overflow_report.c) -------- */

/* Writes one line to stderr: g overflowed its stack st (whose lowest
 * address is st->base), into the region below it named `below` ("guard",
 * "reserve") that starts at below_start; `fault` names what happened
 * ("fault", "EXCEPTION_STACK_OVERFLOW") at addr. Safe in a signal or
 * exception handler. */
GREEN_HIDDEN void green__overflow_report(const struct green *g,
                                         const struct green__stack *st,
                                         const char *below,
                                         uintptr_t below_start,
                                         const char *fault, uintptr_t addr);

/* Gives the calling thread an alternate signal stack if the overflow
 * handler is installed and the thread has none. GREEN_OK or
 * GREEN_ENOMEM. */
GREEN_HIDDEN int green__overflow_thread_setup(void);
/* Unmaps the thread's alternate stack, if libgreen made it. */
GREEN_HIDDEN void green__overflow_thread_end(void);

/* ---- sanitizer and valgrind annotations (annotate.h) --------------------
 */
#include "annotate.h"

/* The calling thread's state (green.c); the machine layer reads it too. */
extern GREEN_TLS struct green__tstate *green__tls;

/* ---- greenlets and threads ---------------------------------------------- */

struct green__tstate;

enum {
    GF_MAIN = 1u << 0,   /* the main greenlet of its thread */
    GF_ORPHAN = 1u << 1, /* last reference dropped while it ran */
    GF_LEAKED = 1u << 2, /* survived its kill; never freed */
    GF_KILLING = 1u << 3, /* suspended in a kill it makes (kill_orphan) */
    GF_TRIED = 1u << 4, /* tried by the running green_kill_suspended() */
};

struct green {
    /* The fields up to `result_out` are read by green_switch()'s fast path
     * in the machine layer: their offsets are fixed in arch.h. */
    atomic_long refs;
    struct green__tstate *thread; /* owner; holds a reference to it */
    struct green *parent;        /* holds a reference; NULL for main */
    /* Suspended: the saved stack pointer, and in its low bits
     * (GREEN_API_MASK) whether it waits inside green_switch(), so that a
     * green_switch() to it can deliver its value directly:
     * GREEN_API_RESUMABLE, GREEN_API_FAST or GREEN_API_COPY (arch.h), 0
     * if it waits elsewhere. Stale while it runs: green__sp() and
     * green__api() read it. One word, so that the fast path suspends a
     * greenlet with one store. */
    uintptr_t sp;
    union {
        /* New: the body, read once by the machine layer's entry, before
         * the greenlet can first suspend. */
        green_run_fn run;
        /* Started: where green_switch() stores what arrives, written
         * each time the greenlet suspends in green_switch(). */
        void **result_out;
    };
    /* GREEN_STATE_NEW, _DEAD, or _RUNNING for a started greenlet, which
     * is suspended unless it is its thread's current one: green_switch()'s
     * fast path switches without writing this byte (green__state_of()). */
    unsigned char state;
    unsigned char mode;  /* GREEN_STACK_GUARDED, _COPY or _AUTO */
    unsigned char flags; /* GF_*, touched by the owning thread only */
    GREEN_ANNOTATE_FIELDS
    /* Kept small: a million suspended copy-mode greenlets are a million of
     * these (see bench/copy_bench.c). */
    union {
        /* guarded or auto mode; its sizes are the ones to map while new */
        struct green__stack stack;
        /* copy mode: the saved live stack, its length and capacity */
        struct {
            void *copy_buf;
            unsigned copy_len, copy_cap;
        };
    };
    void *userdata;
    void (*userdata_free)(void *);
    struct green *live_prev, *live_next; /* thread's started greenlets */
    struct green *pending_next;          /* thread's pending-release list */
    GREEN_ASAN_FIELDS
    GREEN_TSAN_FIELDS
};

/* A suspended greenlet's saved stack pointer, and how it waits
 * (GREEN_API_*, 0 if not in green_switch()); stale for a running one. */
static inline void *green__sp(const struct green *g)
{
    return (void *)(g->sp & ~(uintptr_t)GREEN_API_MASK);
}
static inline unsigned green__api(const struct green *g)
{
    return (unsigned)(g->sp & GREEN_API_MASK);
}
static inline void green__set_sp(struct green *g, void *sp, unsigned api)
{
    g->sp = (uintptr_t)sp | api;
}

#define GREEN_PENDING_CLOSED ((struct green *)1)

struct green__hook {
    green_hook_fn fn;
    void *data;
};

struct green__tstate {
    /* The fields green_switch()'s fast path reads come first; their
     * offsets are fixed in arch.h for the machine layer. */
    struct green *current;
    /* Nonzero when green_switch() must take its slow path: hooks are
     * installed, the current greenlet is an orphan to reap, or it is a
     * copy-mode greenlet (which must reserve room for its copy). */
    unsigned slow;
    /* releases from other threads wait, processed by the owner */
    atomic_int pending_flag;
    void *discard; /* result_out when the caller passed NULL */
    /* The owning thread's thread pointer (the TLS ABI's: %fs:0 on
     * x86-64, tpidr_el0 on aarch64) while it runs, NULL once it ended:
     * how the fast path tells that the caller owns the target without
     * reaching green__tls through the GOT. */
    void *tp;
    struct green *main;
    /* what the last switch delivered */
    int xfer_kind;
    int xfer_event;
    void *xfer_value;
    struct green *xfer_origin; /* origin of the switch that resumed us */
    unsigned in_hook;
    unsigned nhooks;
    struct green__hook hooks[GREEN_HOOKS_MAX];
    struct green__stack_cache cache;
    int default_mode; /* GREEN_STACK_*, 0 for the process default */
    int kill_at_end;  /* green_set_kill_at_thread_end(): GREEN_KILL_* */
    /* copy mode: the shared stack, and the greenlet whose live stack is on
     * it (NULL if none) */
    struct green__stack shared;
    struct green *shared_owner;
    unsigned shared_vg_id; /* valgrind's id of the shared stack */
    struct green live; /* sentinel of the list of started greenlets */
    /* Greenlets whose last reference other threads released, linked by
     * pending_next, for the owner to reap; GREEN_PENDING_CLOSED once the
     * thread has ended. Lock-free (a push, or taking the whole list), so
     * that no lock can be held by another thread when a process forks. */
    _Atomic(struct green *) pending;
    atomic_long refs; /* the thread itself + one per greenlet */
};

/* g's state as green_state() reports it: a started greenlet runs if it is
 * its thread's current one (any thread may ask). */
static inline int green__state_of(const struct green *g)
{
    int s = __atomic_load_n(&g->state, __ATOMIC_RELAXED);
    if (s == GREEN_STATE_RUNNING &&
        __atomic_load_n(&g->thread->current, __ATOMIC_RELAXED) != g)
        s = GREEN_STATE_SUSPENDED;
    return s;
}

/* ---- the stack layer's calls on the switch path (see above) ------------- */

static inline int green__stack_reserve(struct green__tstate *t,
                                       const void *lowest)
{
    /* Only the copy-mode greenlet on the shared stack is ever saved. */
    if (t->current->mode != GREEN_STACK_COPY || t->shared_owner != t->current)
        return GREEN_OK;
    return green__copy_reserve(t, lowest);
}

static inline int green__stack_resume(const struct green__tstate *t,
                                      const struct green *target)
{
    return target->mode == GREEN_STACK_COPY && t->shared_owner != target
               ? GREEN_RESUME_COPY
               : GREEN_RESUME_SLOW;
}

#endif /* GREEN_INTERNAL_H */
