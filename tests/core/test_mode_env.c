/* SPDX-License-Identifier: MIT */
/*
 * test_mode_env.c - the spellings of GREEN_STACK_MODE.
 *
 * The variable is read once per process, so each case runs this program
 * again (/proc/self/exe --probe) with the variable set: the probe starts
 * several threads that each make a greenlet with the default mode, and
 * prints that mode. The test checks the mode and what went to stderr:
 * nothing for the documented spellings, one line for anything else,
 * however many threads start.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int run_nothing(green_t *self, void *in, void **out)
{
    (void)self, (void)in, (void)out;
    return GREEN_OK;
}

static void *probe_thread(void *arg)
{
    green_t *g = NULL;
    if (green_create(&g, run_nothing, NULL, NULL) != GREEN_OK)
        return NULL;
    *(int *)arg = green_stack_mode(g);
    green_release(g);
    return NULL;
}

static int probe(void)
{
    pthread_t th[4];
    int modes[4] = {0};
    for (int i = 0; i < 4; i++)
        if (pthread_create(&th[i], NULL, probe_thread, &modes[i]) != 0)
            return 2;
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 1; i < 4; i++)
        if (modes[i] != modes[0])
            return 3;
    printf("%d\n", modes[0]);
    return 0;
}

/* Reads all of fd into buf (NUL-terminated). */
static void read_all(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
}

/* Re-runs this program with --probe. In a cross build the program runs
 * under an emulator (qemu-user): GREEN_TEST_EMULATOR holds its command
 * line, words separated by spaces, and the emulator runs the program. */
static void exec_self_probe(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = 0;
    const char *emu = getenv("GREEN_TEST_EMULATOR");
    if (!emu || !*emu) {
        execl(self, "core_mode_env", "--probe", (char *)NULL);
        return;
    }
    static char words[4096];
    char *argv[64];
    int argc = 0;
    snprintf(words, sizeof words, "%s", emu);
    for (char *w = strtok(words, " "); w && argc < 60; w = strtok(NULL, " "))
        argv[argc++] = w;
    argv[argc++] = self;
    argv[argc++] = "--probe";
    argv[argc] = NULL;
    execvp(argv[0], argv);
}

/* Runs the probe with GREEN_STACK_MODE=value (unset if NULL). */
static void run_probe(const char *value, int *mode, char *err, size_t cap)
{
    int out[2], errp[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(errp), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        if (value)
            setenv("GREEN_STACK_MODE", value, 1);
        else
            unsetenv("GREEN_STACK_MODE");
        exec_self_probe();
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    char o[64];
    read_all(out[0], o, sizeof o);
    read_all(errp[0], err, cap);
    close(out[0]);
    close(errp[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    *mode = atoi(o);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_documented_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int mode;
    } cases[] = {
        {NULL, GREEN_STACK_GUARDED}, {"", GREEN_STACK_GUARDED},
        {"guarded", GREEN_STACK_GUARDED}, {"copy", GREEN_STACK_COPY},
        {"auto", GREEN_STACK_AUTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int mode = 0;
        char err[1024];
        run_probe(cases[i].value, &mode, err, sizeof err);
        assert_int_equal(mode, cases[i].mode);
        assert_string_equal(err, "");
    }
}

static void test_other_values_reported_once(void **state)
{
    (void)state;
    static const char *const bad[] = {"Copy", "COPY", "copy ", " auto",
                                      "guard", "1", "copy\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int mode = 0;
        char err[1024];
        run_probe(bad[i], &mode, err, sizeof err);
        assert_int_equal(mode, GREEN_STACK_GUARDED);
        assert_int_equal(count(err, "GREEN_STACK_MODE="), 1);
        assert_int_equal(count(err, "is not guarded, copy or auto"), 1);
        assert_int_equal(count(err, "\n"), 1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--probe") == 0)
        return probe();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_spellings),
        cmocka_unit_test(test_other_values_reported_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
