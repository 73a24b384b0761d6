/* SPDX-License-Identifier: MIT */
/*
 * overflow.c - the opt-in stack overflow report
 * (green_overflow_handler_install()).
 *
 * A greenlet that overflows its stack faults in the guard below it. The
 * handler runs on an alternate signal stack (the faulting stack has no
 * room left), finds out whether the fault address lies in the guard of
 * the thread's current greenlet, says so on stderr with write(2), then
 * hands the signal on: to the handler the program had installed, or back
 * to the default action, which the faulting instruction meets again when
 * the handler returns. Only async-signal-safe calls are made here.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Each thread's alternate stack, mapped when the thread first needs it. */
#define ALT_SIZE (64u * 1024u)

static struct sigaction previous;
static atomic_int installed;

static __thread void *alt_stack
    __attribute__((tls_model("initial-exec")));

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
    struct green__tstate *t = green__tls;
    const struct green__stack *st = NULL;
    if (t && t->current)
        st = green__stack_of(t, t->current);
    if (st) {
        uintptr_t addr = (uintptr_t)info->si_addr;
        uintptr_t lo = (uintptr_t)st->base;
        if (addr < lo && addr >= lo - green__guard_bytes(st))
            green__overflow_report(t->current, st, "guard",
                                   lo - green__guard_bytes(st), "fault", addr);
    }
    /* Hand it on. */
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, ctx);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    /* The default action: the fault happens again on return. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGSEGV, &dfl, NULL);
}

int green__overflow_thread_setup(void)
{
    /* The global flag first: alt_stack is a general-dynamic TLS access. */
    if (!atomic_load_explicit(&installed, memory_order_acquire) || alt_stack)
        return GREEN_OK;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return GREEN_OK; /* the thread has one of its own: keep it */
    void *p = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return GREEN_ENOMEM;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = p;
    ss.ss_size = ALT_SIZE;
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, ALT_SIZE);
        return GREEN_ENOMEM;
    }
    alt_stack = p;
    return GREEN_OK;
}

void green__overflow_thread_end(void)
{
    if (!alt_stack)
        return;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt_stack &&
        !(cur.ss_flags & SS_ONSTACK)) {
        stack_t off;
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, NULL);
        munmap(alt_stack, ALT_SIZE);
    }
    alt_stack = NULL;
}

int green_overflow_handler_install(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    int rc = GREEN_OK;
    if (!atomic_load(&installed)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSEGV, &sa, &previous) != 0)
            rc = GREEN_EINVAL; /* not reached: SIGSEGV can be caught */
        else
            atomic_store_explicit(&installed, 1, memory_order_release);
    }
    pthread_mutex_unlock(&lock);
    if (rc == GREEN_OK)
        rc = green__overflow_thread_setup();
    return rc;
}
