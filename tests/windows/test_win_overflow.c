/* SPDX-License-Identifier: MIT */
/*
 * test_win_overflow.c - a greenlet that overflows its stack meets
 * EXCEPTION_STACK_OVERFLOW, as a thread does on its own stack: not an
 * access violation, not a silent run into other memory. The greenlet's
 * own frame-based handler catches it (the dispatcher walks the
 * overflowed stack up to it, then unwinds it), the greenlet returns, and
 * the program goes on. Each case runs in a child process (this program,
 * with "child <case>"): the parent checks its exit status and what it
 * wrote on stderr (green_overflow_handler_install()'s report, naming the
 * greenlet's stack, then the child's own line).
 */
#include <excpt.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdlib.h>

#include "../core/common.h"

/* ---- the child ----------------------------------------------------------- */

static volatile unsigned long depth;
/* Deeper than any stack: the recursions end by overflowing (and the
 * compiler cannot tell them infinite). */
static volatile unsigned long max_depth = ~0ul;

/* Small frames, many of them. */
__attribute__((noinline)) static unsigned long recurse(unsigned long n)
{
    volatile char pad[64];
    pad[0] = (char)n;
    if (++depth == max_depth)
        return 0;
    return recurse(n + 1) + (unsigned long)pad[0];
}

/* Frames of 24 KiB: each probes its pages (__chkstk), the last ones
 * into the stack's guard page and reserve. */
__attribute__((noinline)) static unsigned long recurse_big(unsigned long n)
{
    volatile char pad[24 * 1024];
    pad[0] = (char)n;
    pad[sizeof pad - 1] = (char)n;
    if (++depth == max_depth)
        return 0;
    return recurse_big(n + 1) + (unsigned long)pad[0];
}

static volatile DWORD caught_code;
static volatile int caught;

/* (named only in __try1's assembly) */
__attribute__((used)) static int filter(EXCEPTION_POINTERS *info)
{
    caught_code = info->ExceptionRecord->ExceptionCode;
    return EXCEPTION_EXECUTE_HANDLER;
}

__attribute__((noinline)) static void overflow_caught(int big)
{
    caught = 0;
    /* one call, so that it stays between __try1's labels */
    unsigned long (*volatile fn)(unsigned long) = big ? recurse_big : recurse;
    __try1(filter)
    {
        fn(0);
    }
    __except1;
    /* reached through the handler only: the recursions never return */
    caught = 1;
}

static int run_overflow(green_t *self, void *in, void **out)
{
    (void)self;
    overflow_caught(in != NULL);
    *out = (void *)(uintptr_t)caught;
    return GREEN_OK;
}

static int child(const char *what)
{
    int big = strstr(what, "big") != NULL;
    int copy = strstr(what, "copy") != NULL;
    if (!strstr(what, "silent") && green_overflow_handler_install() != GREEN_OK)
        return 3;
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_mode = copy ? GREEN_STACK_COPY : GREEN_STACK_GUARDED;
    if (strstr(what, "page")) /* a guard of one page: still a reserve */
        attr.guard_size = 4096;
    green_t *g = NULL;
    if (green_create(&g, run_overflow, NULL, &attr) != GREEN_OK)
        return 4;
    void *r = NULL;
    if (green_switch(g, big ? (void *)1 : NULL, &r) != GREEN_OK)
        return 5;
    fprintf(stderr, "child: caught 0x%08lx in the greenlet after %lu calls,"
            " greenlet %s\n", (unsigned long)caught_code, depth,
            green_state(g) == GREEN_STATE_DEAD ? "returned" : "alive");
    if (!r || caught_code != (DWORD)EXCEPTION_STACK_OVERFLOW ||
        green_state(g) != GREEN_STATE_DEAD)
        return 6;
    green_release(g);
    return 42;
}

/* ---- the parent ---------------------------------------------------------- */

struct outcome {
    DWORD status;
    char err[4096];
};

static void run_child(const char *what, struct outcome *o)
{
    char self[MAX_PATH], cmd[2 * MAX_PATH], tmpdir[MAX_PATH], tmp[MAX_PATH];
    assert_int_not_equal(GetModuleFileNameA(NULL, self, sizeof self), 0);
    snprintf(cmd, sizeof cmd, "\"%s\" child %s", self, what);
    assert_int_not_equal(GetTempPathA(sizeof tmpdir, tmpdir), 0);
    assert_int_not_equal(GetTempFileNameA(tmpdir, "grn", 0, tmp), 0);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE err = CreateFileA(tmp, GENERIC_READ | GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                             CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY, NULL);
    assert_true(err != INVALID_HANDLE_VALUE);
    STARTUPINFOA si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = err;
    si.hStdError = err;
    PROCESS_INFORMATION pi;
    assert_true(CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL,
                               &si, &pi));
    assert_int_equal(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
    assert_true(GetExitCodeProcess(pi.hProcess, &o->status));
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    DWORD n = 0;
    SetFilePointer(err, 0, NULL, FILE_BEGIN);
    memset(o->err, 0, sizeof o->err);
    ReadFile(err, o->err, sizeof o->err - 1, &n, NULL);
    CloseHandle(err);
    DeleteFileA(tmp);
    print_message("child %s: exit 0x%08lx, stderr: %s\n", what,
                  (unsigned long)o->status, o->err[0] ? o->err : "(empty)\n");
}

static void expect_overflow(const char *what, const char *stack_kind)
{
    struct outcome o;
    run_child(what, &o);
    assert_int_equal(o.status, 42);
    assert_non_null(strstr(o.err, "caught 0xc00000fd in the greenlet"));
    assert_non_null(strstr(o.err, "libgreen: greenlet stack overflow"));
    assert_non_null(strstr(o.err, stack_kind));
    assert_non_null(strstr(o.err, "EXCEPTION_STACK_OVERFLOW"));
}

static void test_small_frames(void **state)
{
    (void)state;
    expect_overflow("small", ", stack 0x");
}

static void test_big_frames_probe(void **state)
{
    (void)state;
    expect_overflow("big", ", stack 0x");
}

static void test_one_page_guard(void **state)
{
    (void)state;
    expect_overflow("page", ", stack 0x");
}

static void test_copy_mode(void **state)
{
    (void)state;
    expect_overflow("copy", "shared stack (copy mode)");
}

/* Without the report: the same exception, nothing said by libgreen. */
static void test_without_report(void **state)
{
    (void)state;
    struct outcome o;
    run_child("silent", &o);
    assert_int_equal(o.status, 42);
    assert_non_null(strstr(o.err, "caught 0xc00000fd in the greenlet"));
    assert_null(strstr(o.err, "libgreen:"));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0) {
        /* no error dialog for the unhandled exception */
        SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
        return child(argv[2]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_frames),
        cmocka_unit_test(test_big_frames_probe),
        cmocka_unit_test(test_one_page_guard),
        cmocka_unit_test(test_copy_mode),
        cmocka_unit_test(test_without_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
