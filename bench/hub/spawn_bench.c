/*
 * hub_spawn_bench - what a green thread costs: spawn, run to the end,
 * join (wait for its result) and release, one at a time; then spawn_n in
 * batches through a GreenPool. Prints ns per operation.
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

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n < 1000 || n > 100000000) {
        fprintf(stderr, "usage: %s [iterations 1000..1e8]\n", argv[0]);
        return 2;
    }
    spawn_join(10000); /* warm the stack cache */
    printf("spawn+join ns=%.1f\n", spawn_join(n));
    printf("pool(8) spawn_n ns=%.1f\n", pool_spawn_n(n, 8));
    printf("pool(1000) spawn_n ns=%.1f\n", pool_spawn_n(n, 1000));
    CHECK(green_hub_destroy());
    return 0;
}
