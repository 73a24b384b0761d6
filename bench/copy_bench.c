/* SPDX-License-Identifier: MIT */
/*
 * copy_bench.c - memory per suspended greenlet and switch cost, copy-stack
 * mode beside guarded stacks, in one run.
 *
 *   copy_bench            1,000,000 copy greenlets of each body, 20,000
 *                         guarded ones, and the switch costs
 *   copy_bench N          N copy greenlets of the small body only
 *                         (e.g. 10000000)
 *
 * Each greenlet is suspended inside its body, as a parked request handler
 * would be. Two bodies: a small one (a few locals: about 120 bytes of live
 * stack in all, the measure libaco's figures use) and one with a 120-byte
 * buffer of its own on top of its frames. The "saved B" column is the live
 * stack copy mode keeps for each (green_stack_saved(), averaged).
 */
#define _GNU_SOURCE
#include <green.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE 120
#define RUNS 7

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        abort();
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- memory ------------------------------------------------------------- */

/* Parks with a few locals until killed. */
static int parked_small(green_t *self, void *in, void **out)
{
    (void)self;
    void *v = in;
    int rc = green_switch(green_main(), NULL, &v);
    *out = v;
    return rc;
}

/* Parks with LIVE bytes of its own on the stack until killed. */
static int parked_buffer(green_t *self, void *in, void **out)
{
    (void)self;
    volatile char live[LIVE];
    memset((char *)live, (int)(intptr_t)in, sizeof live);
    void *v;
    int rc = green_switch(green_main(), NULL, &v);
    *out = (void *)(intptr_t)live[LIVE - 1];
    return rc;
}

/* Creates and parks n greenlets of the given mode running body; prints
 * RSS bytes and saved stack bytes each. */
static void memory_here(const char *label, long n, int mode,
                        green_run_fn body)
{
    green_t **gs = malloc(n * sizeof *gs);
    if (!gs)
        abort();
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = mode;
    long before = rss_bytes();
    double t0 = now_ns();
    long made = 0;
    for (; made < n; made++) {
        if (green_create(&gs[made], body, NULL, &a) != GREEN_OK)
            break;
        int rc = green_switch(gs[made], (void *)(intptr_t)made, NULL);
        if (rc != GREEN_OK) {
            printf("  %s: stopped at %ld: %s\n", label, made,
                   green_error_name(rc));
            green_release(gs[made]);
            break;
        }
    }
    double t1 = now_ns();
    long after = rss_bytes();
    /* the handle array is ours, not the greenlets' */
    double per = (double)(after - before - (long)(made * sizeof *gs)) / made;
    double saved = 0;
    for (long i = 0; i < made; i++)
        saved += (double)green_stack_saved(gs[i]);
    printf("%-30s %10ld %10.0f %10.0f %12.0f\n", label, made, saved / made,
           per, (t1 - t0) / made);
    for (long i = 0; i < made; i++)
        green_release(gs[i]); /* kills each: exit thrown in */
    free(gs);
}

/* memory_here() in a child process of its own: memory the previous
 * measurement freed would hide this one's from RSS. */
static void memory(const char *label, long n, int mode, green_run_fn body)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        memory_here(label, n, mode, body);
        fflush(stdout);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        printf("%s: the measuring process failed\n", label);
        exit(1);
    }
}

/* ---- switch cost -------------------------------------------------------- */

static green_t *peer_of[2];
static long copied_bytes;

/* Two greenlets ping-pong: each switch leaves `live` bytes of the origin's
 * stack to save and brings back the target's. */
static int ping(green_t *self, void *in, void **out)
{
    intptr_t live_bytes = (intptr_t)in;
    char *live = alloca(live_bytes);
    memset(live, 1, live_bytes);
    int me = peer_of[0] == self ? 0 : 1;
    void *v = NULL;
    /* wait until both exist */
    green_switch(green_main(), NULL, &v);
    for (;;) {
        long n = (long)(intptr_t)v;
        if (n <= 0)
            break;
        if (green_switch(peer_of[!me], (void *)(intptr_t)(n - 1), &v) !=
            GREEN_OK)
            break;
        if ((long)(intptr_t)v <= 0)
            break;
    }
    live[0] = 0;
    *out = v;
    return GREEN_OK;
}

/* ping with nothing of its own on the stack. */
static int ping_small(green_t *self, void *in, void **out)
{
    (void)in;
    int me = peer_of[0] == self ? 0 : 1;
    void *v = NULL;
    green_switch(green_main(), NULL, &v);
    while ((long)(intptr_t)v > 0 &&
           green_switch(peer_of[!me], (void *)((intptr_t)v - 1), &v) ==
               GREEN_OK)
        ;
    *out = v;
    return GREEN_OK;
}

/* live: the bytes of buffer each ping greenlet holds (0: ping_small). */
static double pingpong(int mode, long live, long n)
{
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = mode;
    green_run_fn body = live ? ping : ping_small;
    green_create(&peer_of[0], body, NULL, &a);
    green_create(&peer_of[1], body, NULL, &a);
    green_switch(peer_of[0], (void *)live, NULL);
    green_switch(peer_of[1], (void *)live, NULL);
    /* in copy mode, 1 displaced 0: what each switch copies out (and in) */
    copied_bytes = green_stack_saved(peer_of[0]);
    double t0 = now_ns();
    green_switch(peer_of[0], (void *)n, NULL); /* runs until n hits 0 */
    double t1 = now_ns();
    green_release(peer_of[0]);
    green_release(peer_of[1]);
    return (t1 - t0) / n; /* one switch */
}

static double median_pingpong(int mode, long live, long n)
{
    double v[RUNS];
    pingpong(mode, live, n / 10);
    for (int i = 0; i < RUNS; i++)
        v[i] = pingpong(mode, live, n);
    qsort(v, RUNS, sizeof *v, cmp_double);
    return v[RUNS / 2];
}

int main(int argc, char **argv)
{
    printf("libgreen %s: RSS per parked greenlet\n", green_version_string());
    printf("%-30s %10s %10s %10s %12s\n", "", "greenlets", "saved B",
           "RSS B", "ns to park");
    if (argc == 2) {
        memory("copy, small body", atol(argv[1]), GREEN_STACK_COPY,
               parked_small);
        return 0;
    }
    memory("copy, small body", 1000000, GREEN_STACK_COPY, parked_small);
    memory("copy, 120 B buffer in body", 1000000, GREEN_STACK_COPY,
           parked_buffer);
    memory("guarded (256 KiB), small body", 20000, GREEN_STACK_GUARDED,
           parked_small);

    printf("\none-way switch between two greenlets, ns (median of %d)\n",
           RUNS);
    printf("%-30s %12s %12s\n", "", "no buffer", "4 KiB buffer");
    printf("%-30s %12.1f %12.1f\n", "guarded",
           median_pingpong(GREEN_STACK_GUARDED, 0, 2000000),
           median_pingpong(GREEN_STACK_GUARDED, 4096, 2000000));
    double small = median_pingpong(GREEN_STACK_COPY, 0, 1000000);
    long small_bytes = copied_bytes;
    double big = median_pingpong(GREEN_STACK_COPY, 4096, 200000);
    printf("%-30s %12.1f %12.1f\n", "copy (both copy mode)", small, big);
    printf("%-30s %12ld %12ld\n", "  live stack copied, B", small_bytes,
           copied_bytes);
    return 0;
}
