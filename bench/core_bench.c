/* SPDX-License-Identifier: MIT */
/*
 * core_bench.c - libgreen's switch, create and current-lookup costs, beside
 * the yardsticks measured in the same run: a bare six-register switch
 * (the floor), the same code in a shared library of its own (what a call
 * into a library adds), the bare switch with MXCSR/x87 control words (the
 * choice libgreen did not make), and glibc's swapcontext.
 *
 * green_switch and the two bare switches are measured in interleaved
 * rounds (one of each per round, the order rotating), so that whatever
 * else the machine runs hits them alike; the ratio lines are medians of
 * the rounds' ratios. Pin it to one core: taskset -c 1 core_bench.
 *
 *   core_bench            all figures
 *   core_bench ratio      only the interleaved rounds and their ratios
 *   core_bench create N   only N create+start+finish+destroy cycles after
 *                         a warm-up (for strace -c, see syscalls.sh)
 *   core_bench count N    only N round trips of each switch (for
 *                         valgrind --tool=callgrind: instructions per
 *                         switch, whatever the load)
 */
#define _GNU_SOURCE
#include <green.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#define RUNS 11
#define ROUNDS 201         /* interleaved switch/yardstick rounds */
#define ROUND_TRIPS 20000  /* round trips per round */
#define SWITCH_TARGET 1.5  /* green_switch one way / bare one way */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* ---- libgreen ---------------------------------------------------------- */

static int pong(green_t *self, void *in, void **out)
{
    (void)self;
    green_t *main_g = green_main();
    void *v = in;
    for (;;) {
        if (green_switch(main_g, v, &v) != GREEN_OK)
            break;
    }
    *out = NULL;
    return GREEN_OK;
}

/* n round trips with pong_g, started already; ns per round trip */
static green_t *pong_g;

static double green_round(long n)
{
    void *v = NULL;
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (green_switch(pong_g, (void *)i, &v) != GREEN_OK)
            abort();
    double t1 = now_ns();
    if ((long)v != n - 1)
        abort();
    return (t1 - t0) / n;
}

static int finish_now(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static void create_cycles(long n)
{
    for (long i = 0; i < n; i++) {
        green_t *g;
        void *v;
        if (green_create(&g, finish_now, NULL, NULL) != GREEN_OK)
            abort();
        if (green_switch(g, (void *)i, &v) != GREEN_OK || (long)v != i)
            abort();
        green_release(g);
    }
}

static double bench_green_create(long n)
{
    create_cycles(64);
    double t0 = now_ns();
    create_cycles(n);
    return (now_ns() - t0) / n;
}

static double bench_green_current(long n)
{
    green_t *volatile sink;
    green_current();
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink = green_current();
    (void)sink;
    return (now_ns() - t0) / n;
}

/* ---- yardsticks --------------------------------------------------------- */

void bare_switch(void **save_sp, void *new_sp);
void bare_switch_fpu(void **save_sp, void *new_sp);
void *bare_init(void *stack_top, void (*fn)(void));
void *bare_init_fpu(void *stack_top, void (*fn)(void));

static void *bare_main_sp, *bare_co_sp;
static char bare_stack[64 * 1024] __attribute__((aligned(16)));

static void bare_co_fpu(void)
{
    for (;;)
        bare_switch_fpu(&bare_co_sp, bare_main_sp);
}

/* The MXCSR/x87 variant, with a fresh frame; ns per round trip */
static double bench_bare_fpu(long n)
{
    bare_co_sp = bare_init_fpu(bare_stack + sizeof bare_stack, bare_co_fpu);
    bare_switch_fpu(&bare_main_sp, bare_co_sp);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        bare_switch_fpu(&bare_main_sp, bare_co_sp);
    return (now_ns() - t0) / n;
}

/* A bare-switch coroutine, left suspended between rounds like pong_g, and
 * its rounds of n round trips (ns per round trip); switch_fn is called
 * directly, as the program would. */
#define YARDSTICK(name, switch_fn, init_fn)                                   \
    static void *name##_main_sp, *name##_co_sp;                               \
    static char name##_stack[64 * 1024] __attribute__((aligned(16)));         \
    static void name##_co(void)                                               \
    {                                                                         \
        for (;;)                                                              \
            switch_fn(&name##_co_sp, name##_main_sp);                         \
    }                                                                         \
    static double name##_round(long n)                                        \
    {                                                                         \
        double t0 = now_ns();                                                 \
        for (long i = 0; i < n; i++)                                          \
            switch_fn(&name##_main_sp, name##_co_sp);                         \
        return (now_ns() - t0) / n;                                           \
    }                                                                         \
    static void name##_start(void)                                            \
    {                                                                         \
        name##_co_sp = init_fn(name##_stack + sizeof name##_stack, name##_co);\
        switch_fn(&name##_main_sp, name##_co_sp);                             \
    }

/* The yardstick of the ratio, in this program. */
YARDSTICK(bare, bare_switch, bare_init)

/* The same code in a shared library of its own (bench/CMakeLists.txt):
 * what any call into a shared library adds. */
void lib_bare_switch(void **save_sp, void *new_sp);
void *lib_bare_init(void *stack_top, void (*fn)(void));
YARDSTICK(lib, lib_bare_switch, lib_bare_init)

static void pair_start(void)
{
    if (green_create(&pong_g, pong, NULL, NULL) != GREEN_OK)
        abort();
    void *v;
    if (green_switch(pong_g, NULL, &v) != GREEN_OK)
        abort();
    bare_start();
    lib_start();
}

/* Rounds of green_switch, the bare switch and the bare switch in a shared
 * library, rotating which goes first: medians of each (ns per round
 * trip), and medians of the rounds' ratios. */
struct rounds {
    double sw, bare, lib;
    double ratio;        /* green_switch / bare: the target's */
    double lib_ratio;    /* bare in a library / bare */
    double sw_lib_ratio; /* green_switch / bare in a library */
};
static double sw_best = 1e30, bare_best = 1e30; /* fastest rounds */

static struct rounds interleaved(void)
{
    double s[ROUNDS], b[ROUNDS], l[ROUNDS], r[ROUNDS], rl[ROUNDS], sl[ROUNDS];
    green_round(ROUND_TRIPS / 10); /* warm-up */
    bare_round(ROUND_TRIPS / 10);
    lib_round(ROUND_TRIPS / 10);
    for (int i = 0; i < ROUNDS; i++) {
        for (int k = 0; k < 3; k++) {
            switch ((i + k) % 3) {
            case 0: s[i] = green_round(ROUND_TRIPS); break;
            case 1: b[i] = bare_round(ROUND_TRIPS); break;
            default: l[i] = lib_round(ROUND_TRIPS); break;
            }
        }
        r[i] = s[i] / b[i];
        rl[i] = l[i] / b[i];
        sl[i] = s[i] / l[i];
        sw_best = s[i] < sw_best ? s[i] : sw_best;
        bare_best = b[i] < bare_best ? b[i] : bare_best;
    }
    return (struct rounds){median(s, ROUNDS), median(b, ROUNDS),
                           median(l, ROUNDS), median(r, ROUNDS),
                           median(rl, ROUNDS), median(sl, ROUNDS)};
}

static ucontext_t uc_main, uc_co;
static char uc_stack[64 * 1024];

static void uc_body(void)
{
    for (;;)
        swapcontext(&uc_co, &uc_main);
}

static double bench_swapcontext(long n)
{
    getcontext(&uc_co);
    uc_co.uc_stack.ss_sp = uc_stack;
    uc_co.uc_stack.ss_size = sizeof uc_stack;
    uc_co.uc_link = NULL;
    makecontext(&uc_co, uc_body, 0);
    swapcontext(&uc_main, &uc_co);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        swapcontext(&uc_main, &uc_co);
    return (now_ns() - t0) / n;
}

/* ---- driver ------------------------------------------------------------- */

typedef double (*bench_fn)(long);

static double run(bench_fn fn, long n)
{
    double v[RUNS];
    fn(n / 10); /* warm-up */
    for (int i = 0; i < RUNS; i++)
        v[i] = fn(n);
    return median(v, RUNS);
}

static void print_ratio(double ratio)
{
    printf("switch/bare one-way: %.2f (median of %d interleaved rounds' "
           "ratios; target <= %.1f: %s)\n",
           ratio, ROUNDS, SWITCH_TARGET,
           ratio <= SWITCH_TARGET ? "met" : "missed");
}

/* What a call into a shared library adds, for reading the ratio above:
 * green_switch is one when the program links libgreen.so. */
static void print_lib(const struct rounds *x)
{
    printf("bare switch in a shared library: %.2f ns one way, %.2f times "
           "the bare switch; green_switch/it: %.2f (medians of the rounds' "
           "ratios); libgreen is %s\n",
           x->lib / 2, x->lib_ratio, x->sw_lib_ratio,
           CORE_BENCH_LIBGREEN_SHARED ? "a shared library here"
                                      : "linked into this program");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "create") == 0) {
        create_cycles(64);
        create_cycles(atol(argv[2]));
        return 0;
    }
    pair_start();
    if (argc == 3 && strcmp(argv[1], "count") == 0) {
        long n = atol(argv[2]);
        green_round(n);
        bare_round(n);
        lib_round(n);
        return 0;
    }
    struct rounds x = interleaved();
    double sw = x.sw, bare = x.bare;
    if (argc == 2 && strcmp(argv[1], "ratio") == 0) {
        printf("green_switch %.2f ns, bare %.2f ns one way (fastest "
               "rounds %.2f, %.2f); ",
               sw / 2, bare / 2, sw_best / 2, bare_best / 2);
        print_ratio(x.ratio);
        print_lib(&x);
        green_release(pong_g);
        return 0;
    }
    double fpu = run(bench_bare_fpu, 2000000);
    double uc = run(bench_swapcontext, 200000);
    double cr = run(bench_green_create, 200000);
    double cur = run(bench_green_current, 20000000);

    printf("libgreen %s, ns: medians of %d interleaved rounds (the first "
           "two rows), of %d runs (the others)\n",
           green_version_string(), ROUNDS, RUNS);
    printf("%-44s %9s %9s\n", "", "round", "one-way");
    printf("%-44s %9.1f %9.1f\n", "green_switch (libgreen)", sw, sw / 2);
    printf("%-44s %9.1f %9.1f\n", "bare 6-register switch (yardstick)", bare,
           bare / 2);
    printf("%-44s %9.1f %9.1f\n", "bare, in a shared library (yardstick)",
           x.lib, x.lib / 2);
    printf("%-44s %9.1f %9.1f\n", "bare + MXCSR/x87 CW (not used)", fpu,
           fpu / 2);
    printf("%-44s %9.1f %9.1f\n", "glibc swapcontext (yardstick)", uc, uc / 2);
    printf("%-44s %9.1f\n", "create+start+finish+destroy (libgreen)", cr);
    printf("%-44s %9.1f\n", "green_current (libgreen)", cur);
    print_ratio(x.ratio);
    print_lib(&x);
    printf("ratios: switch/swapcontext %.3f (target <= 0.05), create %.0f ns "
           "(target <= 150)\n",
           sw / uc, cr);
    green_release(pong_g);
    return 0;
}
