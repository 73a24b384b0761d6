/* SPDX-License-Identifier: MIT */
/*
 * hub_spawn_bench - what a green thread costs: spawn, run to the end,
 * join (wait for its result) and release, one at a time; then spawn_n in
 * batches through a GreenPool. Prints ns per operation, the median of 5
 * runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "green_hub.h"

static int ret_arg(void *arg, void **out)
{
    *out = arg;
    return GREEN_OK;
}

static long counter;

static int bump(void *arg, void **out)
{
    (void)arg;
    (void)out;
    counter++;
    return GREEN_OK;
}

#define CHECK(x)                                                              \
    do {                                                                      \
        if ((x) != GREEN_OK) {                                                \
            fprintf(stderr, "failed: %s\n", #x);                              \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static double spawn_join(long n)
{
    double t0 = green_hub_now();
    intptr_t sum = 0;
    for (long i = 0; i < n; i++) {
        green_thread_t *t;
        void *res;
        CHECK(green_hub_spawn(&t, ret_arg, (void *)(intptr_t)i));
        CHECK(green_thread_wait(t, GREEN_HUB_FOREVER, &res));
        green_thread_release(t);
        sum += (intptr_t)res;
    }
    double dt = green_hub_now() - t0;
    if (sum != (intptr_t)n * (n - 1) / 2) {
        fprintf(stderr, "lost results\n");
        exit(1);
    }
    return dt / (double)n * 1e9;
}

static double pool_spawn_n(long n, size_t size)
{
    green_pool_t *pool;
    CHECK(green_pool_create(&pool, size));
    counter = 0;
    double t0 = green_hub_now();
    for (long i = 0; i < n; i++)
        CHECK(green_pool_spawn_n(pool, bump, NULL));
    CHECK(green_pool_waitall(pool, GREEN_HUB_FOREVER));
    double dt = green_hub_now() - t0;
    CHECK(green_pool_destroy(pool));
    if (counter != n) {
        fprintf(stderr, "lost spawns\n");
        exit(1);
    }
    return dt / (double)n * 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define RUNS 5

/* The median of RUNS runs: the machine may be shared. */
static double median(double v[RUNS])
{
    qsort(v, RUNS, sizeof v[0], cmp);
    return v[RUNS / 2];
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < 1000 || n > 100000000) {
        fprintf(stderr, "usage: %s [iterations 1000..1e8]\n", argv[0]);
        return 2;
    }
    double a[RUNS], b[RUNS], c[RUNS];
    spawn_join(10000); /* warm up: workers, stacks, allocator */
    for (int r = 0; r < RUNS; r++) {
        a[r] = spawn_join(n);
        b[r] = pool_spawn_n(n, 8);
        c[r] = pool_spawn_n(n, 1000);
    }
    printf("spawn+join ns=%.1f\n", median(a));
    printf("pool(8) spawn_n ns=%.1f\n", median(b));
    printf("pool(1000) spawn_n ns=%.1f\n", median(c));
    CHECK(green_hub_destroy());
    return 0;
}
