/* SPDX-License-Identifier: MIT */
/*
 * pending_kill_at_thread_exit.c - a suspended greenlet released from
 * another thread runs its code inside its own thread's exit.
 *
 * green.h says that when a thread ends, its suspended greenlets are freed
 * "without running them". But a last release made by another thread while
 * the owner still lives is queued, and the owner's thread_exit() first
 * processes that queue (process_pending() -> drop_last() -> kill_orphan()),
 * which resumes the greenlet with GREEN_EXIT from the thread-specific-data
 * destructor. For a binding that is fatal: the interpreter's thread state
 * is gone by then (CPython clears it before the thread's TSD destructors
 * run), and the greenlet's code touches it.
 *
 * The Python binding works around it by never releasing a suspended
 * greenlet's last reference from another thread: it hands the object to
 * the owner thread, which kills it with green_throw_exit() the next time
 * it uses greenlets, or leaves it alone if the thread ends first.
 *
 * What would help: thread_exit() marking queued suspended greenlets dead
 * without running them (as it does for the others), or documenting the
 * current behaviour.
 *
 * Build and run:
 *   cc -I libgreen/include pending_kill_at_thread_exit.c \
 *      -L build/libgreen -Wl,-rpath,build/libgreen -lgreen -pthread \
 *      -o /tmp/pkte
 *   /tmp/pkte
 * Prints "greenlet code ran after its thread function returned: yes".
 */
#include <pthread.h>
#include <stdio.h>

#include "green.h"

static green_t *g;
static volatile int thread_function_returned;
static volatile int ran_after_return;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int stage;

static int run(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    (void)out;
    int rc = green_switch(green_main(), NULL, NULL); /* suspend */
    if (rc == GREEN_EXIT && thread_function_returned)
        ran_after_return = 1;
    return GREEN_OK;
}

static void set_stage(int s)
{
    pthread_mutex_lock(&m);
    stage = s;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
}

static void wait_stage(int s)
{
    pthread_mutex_lock(&m);
    while (stage < s)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
}

static void *owner(void *arg)
{
    (void)arg;
    green_create(&g, run, NULL, NULL);
    green_switch(g, NULL, NULL); /* g suspended, owned by this thread */
    set_stage(1);
    wait_stage(2); /* the main thread released g meanwhile */
    thread_function_returned = 1;
    return NULL; /* libgreen's thread_exit runs after this */
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, owner, NULL);
    wait_stage(1);
    green_release(g); /* last reference, from another thread: queued */
    set_stage(2);
    pthread_join(t, NULL);
    printf("greenlet code ran after its thread function returned: %s\n",
           ran_after_return ? "yes" : "no");
    return 0;
}
