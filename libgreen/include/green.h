/* SPDX-License-Identifier: MIT */
/*
 * green.h - libgreen, greenlets for C.
 *
 * This header is the specification of libgreen's public API and ABI. If a
 * function, type or constant is not declared here, it is not part of the
 * API. Every release 1.x keeps every declaration of 1.0 working: functions
 * are only added, error codes only appended, and the option struct only
 * grows at its end (see abi/README.md).
 *
 * ------------------------------------------------------------------------
 * The model
 * ------------------------------------------------------------------------
 *
 * A greenlet is a function running on its own stack that can suspend itself
 * by switching to another greenlet and be resumed later by a switch back.
 * Only one greenlet of a thread runs at a time; switching is explicit and
 * never preemptive.
 *
 *  - Every thread has a *main* greenlet: the thread's own stack. It is
 *    created the first time the thread calls into libgreen.
 *  - green_create() makes a new greenlet. Its parent is the greenlet current
 *    at creation unless another one is given.
 *  - The first green_switch() into a greenlet starts its run function with
 *    the switched value. A later switch resumes it: its own pending
 *    green_switch() returns the value.
 *  - When the run function returns, the greenlet is dead and its result is
 *    delivered to its parent (or, if the parent is dead, to the first live
 *    ancestor) as if the greenlet had switched to it.
 *  - green_throw() delivers an error payload instead of a value: the
 *    target's pending switch returns GREEN_THROWN.
 *  - green_throw_exit() delivers the distinguished *exit* error (greenlet's
 *    GreenletExit): the target's pending switch returns GREEN_EXIT. A run
 *    function that lets it reach its top (returns GREEN_EXIT) finishes
 *    normally: the parent receives the payload as an ordinary value.
 *  - When the last reference to a suspended greenlet is released, libgreen
 *    throws exit into it so that it can clean up, in its own thread.
 *
 * Values and payloads are opaque `void *` for libgreen: it never reads or
 * frees them.
 *
 * ------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------
 *
 * A greenlet belongs to the thread that created it, and only that thread
 * may run it. Unless a function says otherwise, it must be called on the
 * thread that owns its greenlet arguments, and returns GREEN_ETHREAD
 * (changing nothing) when it is not. green_retain(), green_release(),
 * green_state(), green_is_main(), green_stack_mode(), green_get_userdata()
 * and green_get_parent() may be called from any thread.
 *
 * When a thread ends (its thread-specific data destructors run), libgreen
 * frees the stacks of the thread's suspended greenlets without running
 * them and marks them dead (its never-started greenlets stay new, and can
 * never start); their handles stay valid until released. Kill greenlets
 * with green_throw_exit() before the thread ends if their cleanup code
 * must run. A thread must end on its main greenlet.
 *
 * fork(): the child process has one thread, the one that called fork(),
 * and may use libgreen at once, whatever the other threads were doing
 * (libgreen holds no lock across calls that a fork could leave locked).
 * The greenlets of that thread carry on in the child as they were (each
 * process has its own copy of their stacks and state); releases that
 * other threads queued for it before the fork are carried out in the
 * child too (and in the parent). Greenlets of the other threads can never
 * run in the child: it may ask about them (green_state(), green_is_main(),
 * green_get_parent(), green_get_userdata()) and release its references,
 * which frees nothing there (their memory stays until the child exits);
 * every other call on them returns GREEN_ETHREAD. A release another thread
 * was making at the moment of the fork may not reach the child: that
 * greenlet is then never freed in the child.
 *
 * ------------------------------------------------------------------------
 * Signals
 * ------------------------------------------------------------------------
 *
 * These functions are async-signal-safe (a signal handler may call them,
 * on any thread, whatever the thread was doing): green_current(),
 * green_main(), green_state(), green_is_main(), green_get_parent(),
 * green_get_userdata(), green_stack_mode(), green_retain(),
 * green_attr_init(), green_version(), green_version_string(),
 * green_error_name() and green_strerror(). green_current() and
 * green_main() set up the thread's state on its first call with mmap()
 * (not malloc()), so that holds on a thread's first call too. In a
 * handler that interrupted a switch, green_current() may already name the
 * greenlet being switched to. No other function is async-signal-safe:
 * they may allocate, free, run hooks and user data destructors, or switch
 * stacks. green_release() in particular may free or kill a greenlet: take
 * references in a handler with green_retain() only if the code outside
 * releases them.
 *
 * ------------------------------------------------------------------------
 * Return codes
 * ------------------------------------------------------------------------
 *
 * Functions return an int: GREEN_OK (0) or a positive status on success,
 * a negative GREEN_E* code on failure. A call that fails changes nothing.
 */
#ifndef GREEN_H
#define GREEN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Version
 * ---------------------------------------------------------------------- */

#define GREEN_VERSION_MAJOR 1
#define GREEN_VERSION_MINOR 3
#define GREEN_VERSION_PATCH 0
/* The version as one number: major * 10000 + minor * 100 + patch. */
#define GREEN_VERSION                                                         \
    (GREEN_VERSION_MAJOR * 10000 + GREEN_VERSION_MINOR * 100 +                \
     GREEN_VERSION_PATCH)
#define GREEN_VERSION_STRING "1.3.0"

#if defined(_WIN32)
#define GREEN_API
#elif defined(__GNUC__)
#define GREEN_API __attribute__((visibility("default")))
#else
#define GREEN_API
#endif

/* The version of the library loaded at run time, as GREEN_VERSION. */
GREEN_API int green_version(void);

/* The version of the library loaded at run time, as "1.3.0". */
GREEN_API const char *green_version_string(void);

/* ------------------------------------------------------------------------
 * Return codes (append-only: a value never changes meaning)
 * ---------------------------------------------------------------------- */

enum {
    /* Success. From a switch: an ordinary value arrived. */
    GREEN_OK = 0,
    /* From a switch or throw: an error payload arrived (green_throw(), or
     * a run function that returned GREEN_THROWN). */
    GREEN_THROWN = 1,
    /* From a switch or throw: the exit error arrived (green_throw_exit(),
     * or the release of the last reference to a suspended greenlet). */
    GREEN_EXIT = 2,

    /* An argument is invalid: a NULL handle or pointer, a NULL run
     * function, an option struct that is too small or out of range. */
    GREEN_EINVAL = -1,
    /* Memory for a greenlet could not be allocated. */
    GREEN_ENOMEM = -2,
    /* The target greenlet is dead; it cannot be switched to. */
    GREEN_EDEAD = -3,
    /* The greenlet belongs to another thread than the caller (or than the
     * other greenlet of the call). */
    GREEN_ETHREAD = -4,
    /* Setting this parent would make the parent chain a cycle. */
    GREEN_ECYCLE = -5,
    /* Not allowed on a main greenlet: it has no parent and cannot be
     * killed. */
    GREEN_EMAIN = -6,
    /* No stack could be mapped: out of memory, out of address space, or
     * out of memory mappings (vm.max_map_count). Nothing was created or
     * switched. */
    GREEN_ENOSTACK = -7,
    /* Not allowed now: a switch or throw (or a hook change) attempted from
     * inside a hook. */
    GREEN_EBUSY = -8
};

/* The name of a return code ("GREEN_EDEAD"), or "GREEN_E?" if unknown.
 * Any thread. */
GREEN_API const char *green_error_name(int code);

/* A one-line English description of a return code. Any thread. */
GREEN_API const char *green_strerror(int code);

/* ------------------------------------------------------------------------
 * Greenlets
 * ---------------------------------------------------------------------- */

/* A greenlet handle. Opaque and reference-counted. */
typedef struct green green_t;

/*
 * The body of a greenlet.
 *
 * self  the greenlet running the function (a borrowed reference).
 * in    the value of the first switch into the greenlet.
 * out   where the function stores its result (initially NULL).
 *
 * Returns:
 *   GREEN_OK      *out goes to the parent as an ordinary value.
 *   GREEN_THROWN  *out goes to the parent as an error payload: the parent's
 *                 pending switch returns GREEN_THROWN.
 *   GREEN_EXIT    the exit error reached the top: the greenlet finishes
 *                 normally and *out goes to the parent as an ordinary
 *                 value (its pending switch returns GREEN_OK).
 * Any other value is treated as GREEN_THROWN.
 */
typedef int (*green_run_fn)(green_t *self, void *in, void **out);

/* Default and minimum stack sizes, in bytes. Sizes are rounded up to a
 * whole number of pages; a guard (GREEN_GUARD_DEFAULT unless the greenlet
 * asks for another size) is mapped below each stack. */
#define GREEN_STACK_DEFAULT (256u * 1024u)
#define GREEN_STACK_MIN (16u * 1024u)
#define GREEN_STACK_MAX (((size_t)1 << 30) * (sizeof(size_t) > 4 ? 4 : 1))

/*
 * Since 1.2. The guard below a guarded stack (and below a thread's shared
 * stack for copy mode): inaccessible memory, so that a greenlet that
 * overflows its stack faults instead of writing over other memory. A
 * guard costs address space, never memory, and one mapping whatever its
 * size. A frame larger than the guard that touches only its low end skips
 * it and writes into whatever lies below (often another greenlet's stack)
 * without a fault: the default, 64 KiB, catches frames up to that size.
 * Code with larger frames (big local arrays, alloca()) should ask for a
 * larger guard (green_attr.guard_size) or, better, be compiled with
 * -fstack-clash-protection (gcc, clang), which probes every page of a
 * large frame so that any guard catches it. Sizes are rounded up to whole
 * pages; GREEN_GUARD_MAX is the largest.
 */
#define GREEN_GUARD_DEFAULT (64u * 1024u)
#define GREEN_GUARD_MAX (64u * 1024u * 1024u)

/*
 * Stack modes.
 *
 * GREEN_STACK_GUARDED  the greenlet has a stack of its own: one mapping
 *     with a guard below (GREEN_GUARD_DEFAULT), so an overflow faults. Switching costs no
 *     copy. Each costs two memory mappings: Linux's default
 *     vm.max_map_count (65530) caps a process near 32,700 of them, after
 *     which starting one fails with GREEN_ENOSTACK.
 * GREEN_STACK_COPY  the greenlet runs on its thread's shared stack
 *     (GREEN_COPY_STACK_SIZE, one mapping with a guard of
 *     GREEN_GUARD_DEFAULT, made when the first one starts). When another copy greenlet needs the shared stack,
 *     the live part of the one there (from its stack pointer to the top,
 *     often a few hundred bytes) is copied to the heap, and copied back
 *     when it is resumed. No mapping per greenlet, so millions can be
 *     suspended; a switch costs a copy of the live bytes when two copy
 *     greenlets alternate (none when one alternates with guarded or main
 *     greenlets). Its stack_size attribute is ignored. Pointers to its
 *     stack are valid only while it runs or is the last copy greenlet that
 *     ran: do not hand them to other greenlets.
 * GREEN_STACK_AUTO  guarded while the process has fewer than a quarter of
 *     vm.max_map_count stacks mapped (16,382 by default: half of the
 *     mappings, leaving the rest to the program), copy mode beyond that or
 *     when a stack cannot be mapped. The mode for a program that may hold
 *     many greenlets and wants the fast switch for the first thousands.
 * GREEN_STACK_MODE_DEFAULT (0)  the calling thread's default, which is the
 *     process default unless set, which is GREEN_STACK_GUARDED unless set
 *     by green_set_stack_mode() or the environment variable GREEN_STACK_MODE,
 *     read when the first thread starts: exactly "guarded", "copy" or
 *     "auto" (lower case, nothing around). Unset or empty means guarded;
 *     any other value means guarded too, and libgreen says so once on
 *     stderr ("libgreen: GREEN_STACK_MODE=... is not guarded, copy or
 *     auto").
 */
enum {
    GREEN_STACK_MODE_DEFAULT = 0,
    GREEN_STACK_GUARDED = 1,
    GREEN_STACK_COPY = 2,
    GREEN_STACK_AUTO = 3
};

/* The size of a thread's shared stack for copy-mode greenlets. */
#define GREEN_COPY_STACK_SIZE (1024u * 1024u)

/*
 * Creation options. Initialise with GREEN_ATTR_INIT (or green_attr_init())
 * and set the fields you need: the `size` field tells the library which
 * fields your program knows, so that a program built against this header
 * keeps working with later releases, whose struct may be longer.
 */
typedef struct green_attr {
    /* sizeof(green_attr) as the caller knows it; set by GREEN_ATTR_INIT. */
    size_t size;
    /* Usable stack size in bytes; 0 means GREEN_STACK_DEFAULT. Must be 0
     * or within [GREEN_STACK_MIN, GREEN_STACK_MAX]. */
    size_t stack_size;
    /* Initial user data (see green_set_userdata()). */
    void *userdata;
    /* Called with userdata when the greenlet is freed, or NULL. */
    void (*userdata_free)(void *userdata);
    /* GREEN_STACK_MODE_DEFAULT, GREEN_STACK_GUARDED, GREEN_STACK_COPY or
     * GREEN_STACK_AUTO. */
    int stack_mode;
    /* Since 1.2. The guard below the greenlet's own stack, in bytes; 0
     * means GREEN_GUARD_DEFAULT. At most GREEN_GUARD_MAX, rounded up to
     * whole pages. Ignored by copy-mode greenlets, which share their
     * thread's stack and its default guard. */
    size_t guard_size;
} green_attr;

#define GREEN_ATTR_INIT {sizeof(green_attr), 0, NULL, NULL, 0, 0}

/* Fills *attr with the defaults (as GREEN_ATTR_INIT). GREEN_EINVAL if NULL.
 * Any thread. (A program built against 1.0 or 1.1 gets a version of it
 * that writes only the fields it knows.) */
GREEN_API int green_attr_init(green_attr *attr);

/*
 * Since 1.3, preferred to green_attr_init(): fills the first `size` bytes
 * of *attr with the defaults, size being what the caller's green_attr
 * has (sizeof(green_attr) where it was built: GREEN_ATTR_INIT_SIZED does
 * that), so that the caller says which struct it has instead of the
 * library guessing from the symbol version. attr->size becomes size; a
 * size larger than this library's green_attr gets the rest zeroed (fields
 * the library does not know take their defaults). GREEN_EINVAL, writing
 * nothing, if attr is NULL or size is smaller than the 1.0 struct. Any
 * thread.
 */
GREEN_API int green_attr_init_size(green_attr *attr, size_t size);
#define GREEN_ATTR_INIT_SIZED(attr) green_attr_init_size((attr), sizeof *(attr))

/*
 * Creates a greenlet that will run `run`. It does not start it: the first
 * green_switch() into it does (and maps its stack, in guarded mode; the
 * thread's shared stack is mapped when its first copy or auto greenlet is
 * created).
 *
 * out     receives the new handle, holding one reference for the caller.
 * run     the body; must not be NULL.
 * parent  the parent, or NULL for the current greenlet of the calling
 *         thread. A given parent must belong to the calling thread; it may
 *         be dead (results then go to its first live ancestor).
 * attr    options, or NULL for the defaults.
 *
 * The greenlet belongs to the calling thread. Its stack is mapped when it
 * starts, not here.
 *
 * Errors: GREEN_EINVAL (NULL out or run, bad attr: stack size, stack
 * mode or guard size out of range), GREEN_ETHREAD (parent of another thread),
 * GREEN_ENOMEM, GREEN_ENOSTACK (copy or auto mode: the thread's shared
 * stack could not be mapped). On error *out is set to NULL.
 */
GREEN_API int green_create(green_t **out, green_run_fn run, green_t *parent,
                           const green_attr *attr);

/*
 * Sets the default stack mode of greenlets created without an explicit
 * one: for the calling thread (scope GREEN_SCOPE_THREAD) or for threads
 * that have not set their own (GREEN_SCOPE_PROCESS, any thread). mode is
 * GREEN_STACK_GUARDED, GREEN_STACK_COPY, GREEN_STACK_AUTO, or (thread
 * scope only) GREEN_STACK_MODE_DEFAULT to clear the thread's own choice.
 * Errors: GREEN_EINVAL (unknown mode or scope, or GREEN_STACK_MODE_DEFAULT
 * for the process), GREEN_ENOMEM.
 */
enum { GREEN_SCOPE_THREAD = 1, GREEN_SCOPE_PROCESS = 2 };
GREEN_API int green_set_stack_mode(int mode, int scope);

/*
 * Since 1.3, preferred to green_set_stack_mode() (the same function under
 * a name that says it sets a default, not a greenlet's mode): sets the
 * default stack mode of the scope, with the same arguments, results and
 * thread rules.
 */
GREEN_API int green_set_default_stack_mode(int mode, int scope);

/*
 * Since 1.3. The default stack mode of a scope: GREEN_SCOPE_THREAD, the
 * calling thread's own choice (GREEN_STACK_MODE_DEFAULT if it made none,
 * its greenlets then taking the process default); GREEN_SCOPE_PROCESS, the
 * process default (GREEN_STACK_GUARDED, _COPY or _AUTO, from
 * GREEN_STACK_MODE in the environment until set). GREEN_EINVAL for
 * another scope, GREEN_ENOMEM. Any thread.
 */
GREEN_API int green_default_stack_mode(int scope);

/*
 * The stack mode of g: GREEN_STACK_GUARDED or GREEN_STACK_COPY once it has
 * started (an AUTO greenlet reports the mode it got), its requested mode
 * (GUARDED, COPY or AUTO) before. GREEN_EINVAL if g is NULL. Any thread.
 */
GREEN_API int green_stack_mode(const green_t *g);

/*
 * Since 1.1. How many bytes of g's stack the library holds on the heap:
 * for a suspended copy-mode greenlet that had to leave the shared stack to
 * another, the live slice saved when it left (its frames, from its stack
 * pointer to the top of the stack; a slice of 512 bytes or more starts at
 * the 64-byte boundary below the stack pointer, so that it copies fast).
 * 0 for every other greenlet: guarded, main, new, running, dead, or a
 * copy-mode greenlet still on the shared stack. On g's thread only:
 * GREEN_ETHREAD from another thread, GREEN_EINVAL if g is NULL.
 */
GREEN_API long green_stack_saved(const green_t *g);

/*
 * Since 1.2. Stack overflow reports (opt-in). Installs, for the whole
 * process, a SIGSEGV handler that runs on an alternate signal stack: when
 * the fault lies in the guard of the thread's current greenlet (its own
 * stack's, or the shared stack's in copy mode), it writes one line on
 * stderr,
 *   libgreen: greenlet stack overflow: greenlet 0x..., stack 0x...-0x...,
 *   guard 0x...-0x..., fault at 0x...
 * Whatever the fault, it then hands the signal on: to the SIGSEGV handler
 * the program had installed before this call (called directly, with the
 * same arguments), or else to the default action (the process dies of
 * SIGSEGV, with its core dump). A handler the program installs later
 * replaces this one.
 *
 * A handler can run only on an alternate signal stack: the calling thread
 * gets one now, every other thread when it next creates a greenlet (64 KiB
 * mapped by libgreen, freed when the thread ends; a thread that has an
 * alternate stack of its own keeps it). A thread without one dies of the
 * overflow silently, as without this call. Calling it again does nothing.
 * Any thread. Errors: GREEN_ENOMEM (the calling thread's alternate stack
 * could not be mapped; the handler is installed all the same).
 */
GREEN_API int green_overflow_handler_install(void);

/* Takes one more reference to g. Any thread. GREEN_EINVAL if g is NULL. */
GREEN_API int green_retain(green_t *g);

/*
 * Releases one reference to g. Any thread. GREEN_EINVAL if g is NULL.
 *
 * When the last reference goes:
 *  - a greenlet that never started is freed at once (its userdata_free
 *    runs on the releasing thread);
 *  - a dead greenlet is freed at once on its own thread; released on
 *    another thread, it is freed at the same point as a kill below (at
 *    once if that thread has ended);
 *  - a suspended greenlet is killed first: its parent is set to the
 *    current greenlet and the exit error is thrown into it, on its own
 *    thread: at once if the caller is that thread; otherwise when that
 *    thread next calls green_create(), green_switch(), green_throw(),
 *    green_throw_exit() or (since 1.3) green_collect() (if it ends first,
 *    the greenlet is freed unrun like its other suspended greenlets,
 *    unless green_set_kill_at_thread_end() says otherwise). Whatever it
 *    finally returns is discarded (a binding that must free that value
 *    kills with green_throw_exit() itself, which returns it). If it does
 *    not die (it switches away again), it is reported to the hooks with
 *    GREEN_EVENT_LEAK and never freed;
 *  - the running greenlet is killed in the same way once it switches away.
 */
GREEN_API int green_release(green_t *g);

/*
 * Since 1.3. Deferred kills. A suspended greenlet's last release kills it
 * on its own thread; released from another thread, the kill waits for the
 * owner (see green_release()). These calls let a program or a binding
 * choose that moment, and what a thread's end does with what is left.
 */

/*
 * Handles now the releases other threads made of the calling thread's
 * greenlets: kills the suspended ones (their exit runs here, before this
 * returns), frees the dead ones. Returns how many releases it handled (0
 * when none was waiting: cheap enough to call often), GREEN_EBUSY inside
 * a hook (nothing is done), GREEN_ENOMEM if the calling thread's state
 * could not be made. Only the calling thread's greenlets are handled.
 */
GREEN_API int green_collect(void);

/*
 * green_release() that never runs anything on the calling thread, for a
 * finalizer or a garbage collector that must not switch: a last release
 * is handled as one made by another thread, also when the caller is g's
 * own thread (queued for green_collect() or the thread's next create,
 * switch or throw; freed at once if g never started or its thread has
 * ended). Any thread. GREEN_EINVAL if g is NULL.
 */
GREEN_API int green_release_deferred(green_t *g);

/*
 * Kills every suspended greenlet of the calling thread, one after another:
 * first the releases others made (as green_collect()), then each other
 * suspended greenlet gets the exit error (its parent set to the caller,
 * so that it comes back here), except the caller's own ancestors and a
 * greenlet suspended inside a kill it makes. Tried once each: one that
 * switches away instead of dying stays suspended. What the kills return
 * is discarded. Returns how many fewer suspended greenlets the thread has
 * (those killed, and those that died of a last reference dropped on the
 * way; >= 0), GREEN_EBUSY inside a hook, GREEN_ENOMEM. On the calling
 * thread only; handles stay valid.
 */
GREEN_API int green_kill_suspended(void);

/*
 * Opt-in for the calling thread: what its end does before it frees the
 * greenlets left (unrun, the default, GREEN_KILL_NONE), when it ends on
 * its main greenlet. GREEN_KILL_RELEASED: handles the releases other
 * threads made (green_collect()), so that those greenlets are killed on
 * their thread as their release asked; GREEN_KILL_SUSPENDED: kills every
 * suspended greenlet (green_kill_suspended()), so that their bodies clean
 * up. Runs in libgreen's thread-specific-data destructor: a runtime whose
 * own thread state is gone by then (thread-local destructors, an
 * interpreter's thread state) kills earlier, with green_kill_suspended().
 * GREEN_OK; GREEN_EINVAL (unknown value, nothing changes); GREEN_ENOMEM.
 */
enum { GREEN_KILL_NONE = 0, GREEN_KILL_RELEASED = 1, GREEN_KILL_SUSPENDED = 2 };
GREEN_API int green_set_kill_at_thread_end(int which);

/*
 * The current (running) greenlet of the calling thread, creating the main
 * greenlet on the thread's first call. Borrowed: valid while it runs or
 * while you hold a reference (take one with green_retain() to keep it).
 * NULL only if the main greenlet could not be allocated. Async-signal-safe
 * (see Signals above), on a thread's first call too.
 */
GREEN_API green_t *green_current(void);

/* The main greenlet of the calling thread, created on first use. Borrowed,
 * valid until the thread ends unless retained. NULL only if out of
 * memory. */
GREEN_API green_t *green_main(void);

/*
 * Switches to target, passing value, and suspends the caller until a
 * greenlet switches or throws back to it.
 *
 * If target never started, it starts: its run function receives value.
 * If target is the current greenlet, the call returns at once with
 * GREEN_OK and *result = value.
 *
 * result  receives what arrives when the caller is resumed (may be NULL).
 *
 * Returns, once resumed:
 *   GREEN_OK      *result is an ordinary value (a switch, or the result of
 *                 a child that finished);
 *   GREEN_THROWN  *result is an error payload (green_throw(), or a child
 *                 whose run function returned GREEN_THROWN);
 *   GREEN_EXIT    *result is the exit payload (green_throw_exit(), or
 *                 the release of the last reference to the caller).
 * Errors, returned at once with nothing switched: GREEN_EINVAL (NULL
 * target), GREEN_EDEAD, GREEN_ETHREAD, GREEN_ENOSTACK (target could not be
 * given a stack; an auto-mode target falls back to copy mode instead),
 * GREEN_ENOMEM (the caller runs in copy mode and its live stack could not
 * be given room to be saved), GREEN_EBUSY (called from a hook).
 */
GREEN_API int green_switch(green_t *target, void *value, void **result);

/*
 * Throws an error payload into target: its pending switch returns
 * GREEN_THROWN with *result = payload. The caller is suspended as by
 * green_switch() and returns what arrives when it is resumed.
 *
 * A target that never started is killed without running: it becomes dead
 * and the error goes to its parent (the first live ancestor). A dead target
 * passes the error to its first live ancestor. If that ancestor is the
 * caller, the call returns GREEN_THROWN with *result = payload at once.
 * If target is the current greenlet, the same happens.
 *
 * Errors: GREEN_EINVAL (NULL target), GREEN_ETHREAD, GREEN_EBUSY, and as
 * green_switch() GREEN_ENOSTACK and GREEN_ENOMEM when a switch is needed.
 */
GREEN_API int green_throw(green_t *target, void *payload, void **result);

/*
 * Throws the exit error into target (kills it), carrying payload: its
 * pending switch returns GREEN_EXIT. As green_throw() otherwise, except
 * that exit reaching the top of a greenlet is an ordinary result: a target
 * that never started dies and its parent receives payload as a value
 * (GREEN_OK), and so does the caller if it is that parent.
 *
 * Errors: as green_throw(), and GREEN_EMAIN: a main greenlet cannot be
 * killed (green_throw() into it is allowed), neither directly nor through
 * dead greenlets: GREEN_EMAIN also when target is dead and its first live
 * ancestor is a main greenlet (the exit would reach it), and nothing
 * changes. A dead target whose first live ancestor is another greenlet
 * passes the exit to it; a never-started one on the way dies and turns
 * the exit into an ordinary value, as above.
 */
GREEN_API int green_throw_exit(green_t *target, void *payload,
                               void **result);

/*
 * Stores g's parent (borrowed; NULL for a main greenlet) in *parent.
 * Any thread, provided the owner does not change the parent meanwhile.
 * Errors: GREEN_EINVAL (NULL g or parent pointer).
 */
GREEN_API int green_get_parent(green_t *g, green_t **parent);

/*
 * Sets g's parent. Takes a reference to the new parent and releases the
 * old one. Called on the owning thread of both.
 * Errors: GREEN_EINVAL (NULL argument), GREEN_ETHREAD (g or parent of
 * another thread), GREEN_ECYCLE (parent is g or has g among its
 * ancestors), GREEN_EMAIN (g is a main greenlet).
 */
GREEN_API int green_set_parent(green_t *g, green_t *parent);

/*
 * Since 1.2. Makes parent, a greenlet of the calling thread, the parent of
 * g, and moves g to the calling thread if another thread created it and it
 * never started: g then belongs to the calling thread (it starts, runs and
 * is killed there) and its old parent is released. A thread that hands
 * never-started greenlets to a pool of threads uses this (the pool thread
 * adopts one, then switches to it). If g already belongs to the calling
 * thread, this is green_set_parent(g, parent).
 * Thread rules: called on the adopting thread (parent's owner). g's old
 * thread must not use g while this runs (switch to it, throw into it, set
 * its parent, release the last reference or adopt it): the program orders
 * the two threads' uses of g, as a lock held by both would (Python's GIL
 * does). A greenlet created by a thread that has ended may be adopted.
 * Errors, changing nothing: GREEN_EINVAL (NULL argument), GREEN_ETHREAD
 * (parent of another thread, or g of another thread and already started),
 * GREEN_EMAIN (g is a main greenlet), GREEN_ECYCLE (parent has g among its
 * ancestors, or is g), GREEN_ENOMEM, GREEN_ENOSTACK (g is in copy or auto
 * stack mode and the calling thread's shared stack could not be mapped).
 */
GREEN_API int green_adopt(green_t *g, green_t *parent);

/* The states of a greenlet. */
enum {
    GREEN_STATE_NEW = 1,       /* created, never started */
    GREEN_STATE_RUNNING = 2,   /* the current greenlet of its thread */
    GREEN_STATE_SUSPENDED = 3, /* started, switched away, resumable */
    GREEN_STATE_DEAD = 4       /* finished, killed, or its thread ended */
};

/*
 * The state of g (GREEN_STATE_*), or GREEN_EINVAL if g is NULL. Any
 * thread (from another thread the answer may be stale).
 * Started = not NEW; active = RUNNING or SUSPENDED; dead = DEAD.
 */
GREEN_API int green_state(const green_t *g);

/* 1 if g is a main greenlet, 0 if not; GREEN_EINVAL if g is NULL. Any
 * thread. GREEN_EINVAL is nonzero: test `green_is_main(g) == 1`, not the
 * result as a truth value. */
GREEN_API int green_is_main(const green_t *g);

/* The user data of g, or NULL (also if g is NULL). Any thread. */
GREEN_API void *green_get_userdata(const green_t *g);

/*
 * Sets the user data of g and the function that frees it when g is freed
 * (or NULL). The previous user data is replaced without being freed.
 * On g's thread only.
 * Errors: GREEN_EINVAL (NULL g), GREEN_ETHREAD (g belongs to another
 * thread; nothing changes).
 */
GREEN_API int green_set_userdata(green_t *g, void *userdata,
                                 void (*userdata_free)(void *));

/* ------------------------------------------------------------------------
 * Hooks: a binding saves its runtime's per-greenlet state here (an
 * interpreter's frame and exception state), a tracer watches switches.
 * ---------------------------------------------------------------------- */

/* Events. */
enum {
    GREEN_EVENT_SWITCH = 1, /* a value goes to target (incl. a result) */
    GREEN_EVENT_THROW = 2,  /* an error payload goes to target */
    GREEN_EVENT_EXIT = 3,   /* the exit error goes to target */
    GREEN_EVENT_LEAK = 4    /* target survived its kill; it is leaked */
};

/* Phases of a switch event. */
enum {
    /* On the origin's stack, just before the stack switch. origin is still
     * current. */
    GREEN_PHASE_BEFORE = 1,
    /* On the target's stack, just after the stack switch (for a greenlet
     * that starts: before its run function). target is now current. */
    GREEN_PHASE_AFTER = 2
};

/*
 * A hook. Called for every switch and throw that changes the running
 * greenlet of the thread, twice (GREEN_PHASE_BEFORE, then
 * GREEN_PHASE_AFTER), with the origin and target (borrowed). A call that
 * fails, or that does not change the current greenlet, runs no hook.
 * GREEN_EVENT_LEAK is reported once, phase GREEN_PHASE_AFTER, origin the
 * current greenlet.
 *
 * Hooks run in the order they were added, must return, and must not
 * switch or throw (those calls return GREEN_EBUSY inside a hook).
 * Releasing a reference inside a hook is allowed; a kill it causes runs
 * after the hook.
 */
typedef void (*green_hook_fn)(void *data, int event, int phase,
                              green_t *origin, green_t *target);

/* The most hooks a thread can have at once. */
#define GREEN_HOOKS_MAX 8

/*
 * Adds a hook to the calling thread. Hooks are per thread: a binding adds
 * its hook on every thread that uses greenlets (e.g. when the thread first
 * touches them). Adding the same (fn, data) twice is allowed and calls it
 * twice.
 * Errors: GREEN_EINVAL (NULL fn), GREEN_ENOMEM (GREEN_HOOKS_MAX reached,
 * or the thread state could not be allocated), GREEN_EBUSY (from a hook).
 */
GREEN_API int green_hook_add(green_hook_fn fn, void *data);

/*
 * Removes the first hook of the calling thread equal to (fn, data).
 * Errors: GREEN_EINVAL (not found), GREEN_EBUSY (from a hook).
 */
GREEN_API int green_hook_remove(green_hook_fn fn, void *data);

#ifdef __cplusplus
}
#endif

#endif /* GREEN_H */
