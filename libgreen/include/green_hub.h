/* SPDX-License-Identifier: MIT */
/*
 * green_hub.h - libgreen-hub, an event hub, green threads and pools on top
 * of libgreen.
 *
 * This header is the specification of libgreen-hub's public API and ABI
 * (libgreen-hub.so.1, symbol version GREEN_HUB_1.0). Everything not
 * declared here is private. Releases 1.x only add functions and append
 * return codes.
 *
 * ------------------------------------------------------------------------
 * The model
 * ------------------------------------------------------------------------
 *
 * Every OS thread that uses these functions gets a *hub*: a greenlet that
 * runs an event loop (epoll plus a timer heap). It is created on the
 * thread's first call that needs it.
 *
 *  - A *green thread* is a function run in its own greenlet whose parent is
 *    the hub. green_hub_spawn() creates one and returns a joinable handle;
 *    green_hub_spawn_n() creates one nobody joins. Spawning never switches:
 *    the new green thread starts when the hub next runs.
 *  - A *blocking call* (sleep, fd wait, socket helper, event/semaphore/queue
 *    wait, join, a full pool) suspends the calling greenlet by switching to
 *    the hub. The hub resumes it when the awaited thing happens, when its
 *    timeout expires, or when it is killed. While one greenlet is blocked,
 *    the others run: the OS thread never blocks except in epoll_wait(),
 *    when every greenlet is waiting.
 *  - The thread's main greenlet (or any greenlet that is not a green
 *    thread) may make blocking calls too: that is what drives the hub. A
 *    program spawns green threads, then joins them, waits on a pool, or
 *    sleeps on its main greenlet.
 *  - Blocking calls must not be made on the hub greenlet itself; green
 *    threads must not switch to other greenlets with green_switch() (only
 *    the hub resumes them).
 *  - The hub and green threads run on guarded stacks whatever the stack
 *    mode default is (a waiting greenlet's wait record lives on its stack
 *    and the hub reads it there). A greenlet of your own that makes
 *    blocking calls must not be a copy-mode greenlet (green.h's
 *    GREEN_STACK_COPY), for the same reason.
 *
 * Killing is cooperative, since C has no exceptions to unwind a stack:
 * green_thread_kill() makes the blocking call the victim is suspended in
 * return GREEN_EKILLED (the hub throws the exit error into it with
 * green_throw_exit()), and every later call the victim makes to a blocking
 * function returns GREEN_EKILLED at once, even one that could complete
 * without waiting (so that a killed thread's loops end). Non-blocking calls
 * (releasing a semaphore, sending an event, closing an fd) still work for
 * its cleanup.
 * The function is expected to clean up and return (any value: a thread
 * whose function returns GREEN_EKILLED or GREEN_EXIT is reported to its
 * joiners as killed, GREEN_EXIT). The code is negative so that byte counts
 * and fds never mistake it for a result. A green thread killed before it
 * started never runs.
 *
 * ------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------
 *
 * Hubs are per OS thread and share nothing. Every object (green thread
 * handle, pool, event, semaphore, queue) belongs to the hub of the thread
 * that created it; calling a function on it from another thread returns
 * GREEN_ETHREAD and changes nothing; the read-only queries
 * (green_thread_done(), green_pool_running/free/waiting(),
 * green_event_ready(), green_sem_count(), green_queue_size()) may be called
 * from any thread and then give a possibly stale answer. File descriptors
 * are not owned: a thread waits on an fd through its own hub, and one fd
 * must not be waited on from two threads at once.
 *
 * Call green_hub_destroy() on a thread before it ends if it has a hub: it
 * kills and finishes the remaining green threads and frees the hub.
 *
 * ------------------------------------------------------------------------
 * Timeouts
 * ------------------------------------------------------------------------
 *
 * Timeouts are in seconds (a double, as in eventlet). GREEN_HUB_FOREVER (or
 * any negative value) waits without a limit; 0 does not block: the call
 * succeeds only if it can at once, else it returns GREEN_ETIMEDOUT. NaN is
 * GREEN_EINVAL. Time is CLOCK_MONOTONIC.
 *
 * ------------------------------------------------------------------------
 * Return codes
 * ------------------------------------------------------------------------
 *
 * As in green.h: GREEN_OK (0) or a positive status on success, a negative
 * code on failure, and a call that fails changes nothing (unless it says
 * otherwise). The codes of green.h keep their meaning; the hub adds codes
 * from -100 down. Every blocking call may return:
 *   GREEN_EKILLED    the calling green thread was killed;
 *   GREEN_ETIMEDOUT  the timeout expired first;
 *   GREEN_EDEADLK    the caller is not a green thread and nothing is left
 *                    that could ever wake it (no timer, no fd wait, no
 *                    runnable green thread): the wait would last forever;
 *   GREEN_EHUB       called on the hub greenlet;
 *   GREEN_ENOMEM     the hub could not be created.
 */
#ifndef GREEN_HUB_H
#define GREEN_HUB_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "green.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GREEN_HUB_VERSION_MAJOR 1
#define GREEN_HUB_VERSION_MINOR 1
#define GREEN_HUB_VERSION_PATCH 0
#define GREEN_HUB_VERSION_STRING "1.1.0"

/* The version of libgreen-hub loaded at run time: major*10000 + minor*100 +
 * patch. Any thread. */
GREEN_API int green_hub_version(void);

/* ------------------------------------------------------------------------
 * Return codes added by the hub (append-only)
 * ---------------------------------------------------------------------- */

enum {
    /* The timeout expired before the awaited thing happened. */
    GREEN_ETIMEDOUT = -100,
    /* The fd was closed with green_hub_close() while the caller waited on
     * it, or the queue was closed. */
    GREEN_ECLOSED = -101,
    /* Waiting would last forever: the caller is not a green thread and no
     * timer, fd wait or runnable green thread is left to wake it. */
    GREEN_EDEADLK = -102,
    /* A blocking call was made on the hub greenlet. */
    GREEN_EHUB = -103,
    /* A system call failed; errno tells why (e.g. ECONNREFUSED). */
    GREEN_ESYS = -104,
    /* The calling green thread was killed (green_thread_kill()): clean up
     * and return. */
    GREEN_EKILLED = -105
};

/* The name of any libgreen or hub return code ("GREEN_ETIMEDOUT"), or
 * "GREEN_E?". Any thread. */
GREEN_API const char *green_hub_error_name(int code);

/* A one-line description of any libgreen or hub return code. Any thread. */
GREEN_API const char *green_hub_strerror(int code);

/* Wait without a limit. */
#define GREEN_HUB_FOREVER (-1.0)

/* ------------------------------------------------------------------------
 * The hub
 * ---------------------------------------------------------------------- */

/*
 * Suspends the caller for `seconds` while the others run. 0 yields: the
 * caller goes to the back of the run queue (eventlet's sleep(0)).
 * Returns GREEN_OK, or GREEN_EKILLED, GREEN_EINVAL (negative or
 * NaN), GREEN_EHUB, GREEN_ENOMEM.
 */
GREEN_API int green_hub_sleep(double seconds);

/* green_hub_sleep(0). */
GREEN_API int green_hub_yield(void);

/* The hub's clock: CLOCK_MONOTONIC in seconds. Any thread. */
GREEN_API double green_hub_now(void);

/*
 * Tears down the calling thread's hub: kills every green thread that has
 * not finished (those that never started are dropped; the others get
 * GREEN_EKILLED from their blocking call and run until they return), then
 * frees the hub. Handles stay valid until released, but they belong to
 * the hub that is gone: green_thread_done() and green_thread_release()
 * (any thread) still take them; green_thread_wait(), green_thread_kill()
 * and green_thread_retain() return GREEN_ETHREAD, as for a handle of
 * another thread's hub (join before destroying to keep a result). Pools, events,
 * semaphores and queues must be destroyed before. A later blocking call or
 * spawn creates a fresh hub.
 * Must be called on a greenlet that is not a green thread.
 * Returns GREEN_OK (also if the thread had no hub), GREEN_EBUSY (called
 * from a green thread, or a green thread ignored its kill by switching
 * away on its own), GREEN_EHUB.
 */
GREEN_API int green_hub_destroy(void);

/* The number of green threads of the calling thread's hub that have not
 * finished (started or not). 0 if there is no hub. */
GREEN_API size_t green_hub_count(void);

/* ------------------------------------------------------------------------
 * Green threads
 * ---------------------------------------------------------------------- */

/* A joinable green thread handle. Opaque, reference-counted. */
typedef struct green_gthread green_thread_t;

/*
 * The body of a green thread.
 *
 * arg  the argument given to spawn.
 * out  where the function stores its result or error payload (NULL at
 *      first).
 *
 * Returns GREEN_OK (*out is the result), GREEN_EKILLED or GREEN_EXIT (it
 * was killed and gave up; joiners get GREEN_EXIT and *out as the exit
 * payload), or anything else: an error, and *out is the error payload
 * (joiners get GREEN_THROWN).
 */
typedef int (*green_task_fn)(void *arg, void **out);

/*
 * Creates a green thread that will run fn(arg) and puts it at the back of
 * the run queue. It does not switch.
 * out  receives the handle (one reference for the caller; release it
 *      with green_thread_release(), before or after the thread ends).
 * Errors: GREEN_EINVAL (NULL out or fn), GREEN_ENOMEM, GREEN_EHUB (called
 * while the hub is being destroyed). *out is NULL on error.
 */
GREEN_API int green_hub_spawn(green_thread_t **out, green_task_fn fn,
                              void *arg);

/* As green_hub_spawn() without a handle: the result is discarded
 * (eventlet's spawn_n). Errors: GREEN_EINVAL, GREEN_ENOMEM, GREEN_EHUB. */
GREEN_API int green_hub_spawn_n(green_task_fn fn, void *arg);

/*
 * Waits until t has finished and reports how (eventlet's GreenThread.wait).
 * result  receives the result or payload (may be NULL).
 * Returns what t's function returned:
 *   GREEN_OK      *result is its result;
 *   GREEN_THROWN  it failed; *result is its error payload;
 *   GREEN_EXIT    it was killed; *result is the exit payload (NULL for a
 *                 thread killed before it started);
 *   GREEN_ENOSTACK or GREEN_ENOMEM  it could not be started;
 * or, for the wait itself: GREEN_ETIMEDOUT, GREEN_EKILLED (the caller
 * was killed), GREEN_EDEADLK, GREEN_EINVAL (NULL t; t is the caller itself),
 * GREEN_ETHREAD, GREEN_EHUB. A thread may be joined any number of times.
 */
GREEN_API int green_thread_wait(green_thread_t *t, double timeout,
                                void **result);

/*
 * Kills t (eventlet's GreenThread.kill). A thread that has not started
 * finishes at once without running; a suspended one is resumed with
 * GREEN_EKILLED from its blocking call. If the caller may block, it then
 * yields once so that the victim runs its cleanup before this returns.
 * Killing a finished thread does nothing.
 * Returns GREEN_OK; GREEN_EKILLED if t is the caller (its blocking calls
 * now return GREEN_EKILLED: return from the function); GREEN_EINVAL (NULL
 * t); GREEN_ETHREAD.
 */
GREEN_API int green_thread_kill(green_thread_t *t);

/* 1 if t has finished (or was killed before starting), 0 if not,
 * GREEN_EINVAL if t is NULL (negative: test the result with == 1, not as
 * a truth value). Any thread (the answer may be stale: a 0 may be out of
 * date, a 1 stays true). */
GREEN_API int green_thread_done(const green_thread_t *t);

/* Takes one more reference to t. Owning thread. Errors: GREEN_EINVAL
 * (NULL), GREEN_ETHREAD. */
GREEN_API int green_thread_retain(green_thread_t *t);

/* Releases a reference to t. A thread that still runs goes on running;
 * its result is then discarded. Owning thread, except that a finished
 * handle (green_thread_done() gave 1) may be released on any thread, at
 * the same time as its hub drops its own reference or other threads
 * release theirs, and after green_hub_destroy(). Releasing more references
 * than were taken is undefined.
 * Errors: GREEN_EINVAL (NULL), GREEN_ETHREAD (unfinished, other thread;
 * nothing changes). */
GREEN_API int green_thread_release(green_thread_t *t);

/* The green thread running on the calling OS thread, or NULL when the
 * current greenlet is not a green thread. Borrowed. */
GREEN_API green_thread_t *green_thread_current(void);

/* ------------------------------------------------------------------------
 * File descriptors and sockets
 * ---------------------------------------------------------------------- */

/*
 * Suspends the caller until fd is readable (or has an error or hang-up),
 * or writable, or the timeout expires. Returns at once if it already is.
 * The fd is registered with the hub's epoll on first use and stays so
 * until green_hub_close() or green_hub_forget(); an fd closed by other
 * means must be forgotten with green_hub_forget() before its number is
 * reused.
 * An fd that poll(2) reports always ready and epoll cannot watch (a
 * regular file, a directory) is ready: the wait returns GREEN_OK at once,
 * whatever the timeout, and the fd is not registered.
 * Returns GREEN_OK, GREEN_ETIMEDOUT, GREEN_ECLOSED (fd closed with
 * green_hub_close() meanwhile), GREEN_EKILLED, GREEN_EDEADLK, GREEN_EINVAL
 * (fd < 0), GREEN_ESYS (errno: EBADF for an fd that is not open; or
 * what epoll_ctl(2) refused), GREEN_EHUB, GREEN_ENOMEM.
 */
GREEN_API int green_hub_wait_read(int fd, double timeout);
GREEN_API int green_hub_wait_write(int fd, double timeout);

/*
 * Reads up to n bytes from fd (made non-blocking if it is not), suspending
 * the green thread instead of the OS thread while nothing is there. A
 * regular file never makes it wait.
 * Returns the number of bytes read (0 at end of file), or GREEN_ETIMEDOUT,
 * GREEN_ECLOSED, GREEN_EKILLED, GREEN_EDEADLK, GREEN_EINVAL (fd < 0, NULL buf
 * with n > 0), GREEN_ESYS (read failed: errno; EPERM if the fd said it
 * would block but epoll cannot watch it), GREEN_EHUB.
 */
GREEN_API ssize_t green_hub_read(int fd, void *buf, size_t n,
                                 double timeout);

/*
 * Writes all n bytes to fd (made non-blocking if it is not), suspending
 * while the fd is full. The timeout applies to each wait. Returns n, or
 * the errors of green_hub_read() (GREEN_ESYS with errno EPIPE when the
 * peer is gone; SIGPIPE is not raised for sockets). On an error some of
 * the bytes may have been written.
 */
GREEN_API ssize_t green_hub_write(int fd, const void *buf, size_t n,
                                  double timeout);

/*
 * Accepts a connection on the listening socket fd (made non-blocking if it
 * is not), suspending while none is pending. addr and len as for
 * accept(2) (both may be NULL). The new socket is non-blocking and
 * close-on-exec. Returns it (>= 0), or GREEN_ETIMEDOUT, GREEN_ECLOSED,
 * GREEN_EKILLED, GREEN_EDEADLK, GREEN_EINVAL, GREEN_ESYS (errno), GREEN_EHUB.
 */
GREEN_API int green_hub_accept(int fd, struct sockaddr *addr,
                               socklen_t *len, double timeout);

/*
 * Connects the socket fd (made non-blocking if it is not) to addr,
 * suspending until the connection is established or fails. Returns
 * GREEN_OK, GREEN_ESYS (errno, e.g. ECONNREFUSED), GREEN_ETIMEDOUT (the
 * attempt is then abandoned: close the socket), GREEN_ECLOSED, GREEN_EKILLED,
 * GREEN_EDEADLK, GREEN_EINVAL (fd < 0, NULL addr), GREEN_EHUB.
 */
GREEN_API int green_hub_connect(int fd, const struct sockaddr *addr,
                                socklen_t len, double timeout);

/*
 * Closes fd: every green thread waiting on it is woken with GREEN_ECLOSED,
 * the hub forgets it, then close(2) is called. Does not block. Returns
 * GREEN_OK, GREEN_EINVAL (fd < 0), GREEN_ESYS (close failed: errno).
 */
GREEN_API int green_hub_close(int fd);

/* Makes the hub forget fd (for an fd closed by other means) after waking
 * its waiters with GREEN_ECLOSED. Does not close it. GREEN_OK or
 * GREEN_EINVAL. */
GREEN_API int green_hub_forget(int fd);

/* ------------------------------------------------------------------------
 * Pools: at most `size` green threads at once (eventlet's GreenPool)
 * ---------------------------------------------------------------------- */

typedef struct green_pool green_pool_t;

/* Creates a pool of `size` slots (>= 1). Errors: GREEN_EINVAL (NULL out,
 * size 0), GREEN_ENOMEM. */
GREEN_API int green_pool_create(green_pool_t **out, size_t size);

/* Frees an empty pool. Errors: GREEN_EINVAL (NULL), GREEN_ETHREAD,
 * GREEN_EBUSY (green threads of the pool are running, or greenlets wait on
 * it; nothing is freed). */
GREEN_API int green_pool_destroy(green_pool_t *pool);

/*
 * Spawns fn(arg) in the pool, first suspending the caller while the pool
 * is full (slots are granted in FIFO order). When the caller is itself a
 * green thread of this pool and the pool is full, fn runs at once in the
 * caller instead (as eventlet does, so that a pool cannot wait on itself),
 * and the handle returned is already finished.
 * out  receives a handle as green_hub_spawn() (green_pool_spawn_n: none).
 * Errors: GREEN_EINVAL (NULL pool, out or fn), GREEN_ETHREAD,
 * GREEN_ENOMEM, GREEN_EKILLED (killed while waiting for a slot),
 * GREEN_EDEADLK, GREEN_EHUB. Nothing is spawned on error.
 */
GREEN_API int green_pool_spawn(green_pool_t *pool, green_thread_t **out,
                               green_task_fn fn, void *arg);
GREEN_API int green_pool_spawn_n(green_pool_t *pool, green_task_fn fn,
                                 void *arg);

/* Waits until no green thread of the pool is running. Returns GREEN_OK,
 * GREEN_ETIMEDOUT, GREEN_EKILLED, GREEN_EDEADLK (also: called from a green
 * thread of this pool), GREEN_EINVAL, GREEN_ETHREAD, GREEN_EHUB. */
GREEN_API int green_pool_waitall(green_pool_t *pool, double timeout);

/* The number of green threads of the pool that have not finished, or
 * GREEN_EINVAL if pool is NULL. */
GREEN_API long green_pool_running(const green_pool_t *pool);

/* size - running, never below 0 (after shrinking), or GREEN_EINVAL. */
GREEN_API long green_pool_free(const green_pool_t *pool);

/* The number of greenlets waiting in green_pool_spawn*() for a slot, or
 * GREEN_EINVAL. */
GREEN_API long green_pool_waiting(const green_pool_t *pool);

/* Changes the size (>= 1). Growing wakes waiting spawners at once;
 * shrinking below `running` kills nobody: new spawns wait until enough
 * threads finished. Errors: GREEN_EINVAL, GREEN_ETHREAD. */
GREEN_API int green_pool_resize(green_pool_t *pool, size_t size);

/* ------------------------------------------------------------------------
 * Events: one value sent to every waiter (eventlet's Event)
 * ---------------------------------------------------------------------- */

typedef struct green_event green_event_t;

/* Errors: GREEN_EINVAL (NULL), GREEN_ENOMEM. */
GREEN_API int green_event_create(green_event_t **out);

/* Errors: GREEN_EINVAL, GREEN_ETHREAD, GREEN_EBUSY (greenlets wait on it;
 * nothing is freed). */
GREEN_API int green_event_destroy(green_event_t *ev);

/* Sets the event with value and wakes every waiter. Does not block.
 * Errors: GREEN_EINVAL, GREEN_ETHREAD, GREEN_EBUSY (already sent; reset
 * it first). */
GREEN_API int green_event_send(green_event_t *ev, void *value);

/* Waits until the event is sent; *value (may be NULL) receives the value.
 * Returns GREEN_OK at once if it is already sent; else the blocking
 * errors, GREEN_EINVAL, GREEN_ETHREAD. */
GREEN_API int green_event_wait(green_event_t *ev, double timeout,
                               void **value);

/* 1 if sent, 0 if not, GREEN_EINVAL (NULL ev: negative, so test the
 * result with == 1, not as a truth value). */
GREEN_API int green_event_ready(const green_event_t *ev);

/* Clears a sent event so that it can be sent again. Errors: GREEN_EINVAL,
 * GREEN_ETHREAD. */
GREEN_API int green_event_reset(green_event_t *ev);

/* ------------------------------------------------------------------------
 * Semaphores (eventlet's Semaphore)
 * ---------------------------------------------------------------------- */

typedef struct green_sem green_sem_t;

/* Creates a semaphore with `count` units. Errors: GREEN_EINVAL (NULL
 * out, count > LONG_MAX), GREEN_ENOMEM. */
GREEN_API int green_sem_create(green_sem_t **out, size_t count);

/* Errors: GREEN_EINVAL, GREEN_ETHREAD, GREEN_EBUSY (greenlets wait on
 * it). */
GREEN_API int green_sem_destroy(green_sem_t *sem);

/* Takes a unit, waiting while there is none (FIFO). Returns GREEN_OK or
 * the blocking errors, GREEN_EINVAL, GREEN_ETHREAD. */
GREEN_API int green_sem_acquire(green_sem_t *sem, double timeout);

/* Gives a unit back, handing it to the first waiter if any. Does not
 * block. Errors: GREEN_EINVAL, GREEN_ETHREAD, GREEN_EBUSY (count would
 * overflow). */
GREEN_API int green_sem_release(green_sem_t *sem);

/* The units available now, or GREEN_EINVAL. */
GREEN_API long green_sem_count(const green_sem_t *sem);

/* ------------------------------------------------------------------------
 * Bounded queues of pointers (eventlet's Queue with a maxsize)
 * ---------------------------------------------------------------------- */

typedef struct green_queue green_queue_t;

/* Creates a queue holding at most `capacity` (>= 1) items. Errors:
 * GREEN_EINVAL, GREEN_ENOMEM. */
GREEN_API int green_queue_create(green_queue_t **out, size_t capacity);

/* Frees the queue (items in it are not freed). Errors: GREEN_EINVAL,
 * GREEN_ETHREAD, GREEN_EBUSY (greenlets wait on it). */
GREEN_API int green_queue_destroy(green_queue_t *q);

/* Appends item, waiting while the queue is full (FIFO). Returns GREEN_OK,
 * GREEN_ECLOSED (the queue is or got closed; item not added), the
 * blocking errors, GREEN_EINVAL, GREEN_ETHREAD. */
GREEN_API int green_queue_put(green_queue_t *q, void *item, double timeout);

/* Takes the oldest item into *item, waiting while the queue is empty.
 * Returns GREEN_OK, GREEN_ECLOSED (closed and empty), the blocking errors,
 * GREEN_EINVAL (NULL q or item), GREEN_ETHREAD. */
GREEN_API int green_queue_get(green_queue_t *q, void **item,
                              double timeout);

/* Closes the queue: puts fail with GREEN_ECLOSED, gets drain what is left
 * then fail with GREEN_ECLOSED; every waiter that cannot proceed is woken.
 * Closing twice is allowed. Errors: GREEN_EINVAL, GREEN_ETHREAD. */
GREEN_API int green_queue_close(green_queue_t *q);

/* The number of items in the queue, or GREEN_EINVAL. */
GREEN_API long green_queue_size(const green_queue_t *q);

#ifdef __cplusplus
}
#endif

#endif /* GREEN_HUB_H */
