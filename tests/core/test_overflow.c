/* SPDX-License-Identifier: MIT */
/*
 * test_overflow.c - green_overflow_handler_install(): a greenlet that
 * overflows its stack is reported on stderr, with the greenlet and its
 * stack bounds, and the process still dies of SIGSEGV; a handler the
 * program installed first is chained to; other faults are not reported.
 * Each case runs in a child whose stderr the test reads.
 */
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static volatile unsigned long recurse_limit = (unsigned long)-1;

static unsigned long recurse(unsigned long n)
{
    volatile char frame[512];
    if (n == recurse_limit)
        return 0;
    frame[0] = (char)n;
    return recurse(n + 1) + (unsigned char)frame[0];
}

static int run_overflow(green_t *self, void *in, void **out)
{
    (void)self, (void)in;
    *out = (void *)(uintptr_t)recurse(0);
    return GREEN_OK;
}

static void program_handler(int sig, siginfo_t *info, void *ctx)
{
    (void)sig, (void)info, (void)ctx;
    static const char msg[] = "program handler\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(42);
}

enum { OVERFLOW, NULL_WRITE };

/* In the child: stdout gets the greenlet's address as %p. */
static void child(int mode, int what, int chain)
{
    signal(SIGSEGV, SIG_DFL);
    if (chain) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = program_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
    }
    if (green_overflow_handler_install() != GREEN_OK ||
        green_overflow_handler_install() != GREEN_OK)
        _exit(2);
    if (what == NULL_WRITE) {
        volatile int *volatile nowhere = NULL;
        *nowhere = 1;
        _exit(3);
    }
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = mode;
    a.stack_size = GREEN_STACK_MIN;
    green_t *g = NULL;
    if (green_create(&g, run_overflow, NULL, &a) != GREEN_OK)
        _exit(4);
    printf("%p\n", (void *)g);
    fflush(stdout);
    green_switch(g, NULL, NULL);
    _exit(5);
}

static int run_child(int mode, int what, int chain, char *out, char *err,
                     size_t cap)
{
    int o[2], e[2];
    assert_int_equal(pipe(o), 0);
    assert_int_equal(pipe(e), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(o[1], 1);
        dup2(e[1], 2);
        child(mode, what, chain);
    }
    close(o[1]);
    close(e[1]);
    int fds[2] = {o[0], e[0]};
    char *bufs[2] = {out, err};
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        ssize_t n;
        while (len < cap - 1 &&
               (n = read(fds[i], bufs[i] + len, cap - 1 - len)) > 0)
            len += (size_t)n;
        bufs[i][len] = 0;
        close(fds[i]);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void check_report(int mode)
{
    char out[256], err[1024];
    int status = run_child(mode, OVERFLOW, 0, out, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_non_null(strstr(err, "libgreen: greenlet stack overflow: greenlet "));
    out[strcspn(out, "\n")] = 0;
    assert_true(out[0] != 0);
    char who[300];
    snprintf(who, sizeof who, "greenlet %s,", out);
    assert_non_null(strstr(err, who));
    assert_non_null(strstr(err, ", guard 0x"));
    assert_non_null(strstr(err, ", fault at 0x"));
}

static void test_report_guarded(void **state)
{
    (void)state;
    check_report(GREEN_STACK_GUARDED);
}

static void test_report_copy(void **state)
{
    (void)state;
    check_report(GREEN_STACK_COPY);
}

static void test_chains_to_program_handler(void **state)
{
    (void)state;
    char out[256], err[1024];
    int status = run_child(GREEN_STACK_GUARDED, OVERFLOW, 1, out, err,
                           sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    char *report = strstr(err, "greenlet stack overflow");
    char *program = strstr(err, "program handler");
    assert_non_null(report);
    assert_non_null(program);
    assert_true(report < program); /* reported, then handed on */
}

static void test_other_faults_not_reported(void **state)
{
    (void)state;
    char out[256], err[1024];
    int status = run_child(GREEN_STACK_GUARDED, NULL_WRITE, 0, out, err,
                           sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_null(strstr(err, "overflow"));
    status = run_child(GREEN_STACK_GUARDED, NULL_WRITE, 1, out, err,
                       sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    assert_null(strstr(err, "overflow"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_guarded),
        cmocka_unit_test(test_report_copy),
        cmocka_unit_test(test_chains_to_program_handler),
        cmocka_unit_test(test_other_faults_not_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
