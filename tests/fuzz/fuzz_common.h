/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - what the model-based fuzzers share: a seeded generator,
 * the command line, and how a divergence is reported (with the seed that
 * replays it).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

/* splitmix64: small, seedable, and the same on every machine. */
struct fuzz_rng {
    uint64_t s;
};

static inline void fuzz_seed(struct fuzz_rng *r, uint64_t seed)
{
    r->s = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

static inline uint64_t fuzz_next(struct fuzz_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static inline unsigned fuzz_below(struct fuzz_rng *r, unsigned n)
{
    return (unsigned)(fuzz_next(r) % n);
}

static inline double fuzz_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct fuzz_args {
    unsigned long long seed; /* first seed */
    unsigned long long runs; /* runs to make; 0: until `seconds` pass */
    double seconds;
    int verbose;
};

/*
 * Runs run_one(seed, steps) for seeds a->seed, a->seed + 1, ... (a->runs of
 * them, or until a->seconds pass), each with min_steps plus a number of
 * steps below spread drawn from the seed and salt. Returns how many ran.
 */
static inline unsigned long long
fuzz_run_seeds(const struct fuzz_args *a, uint64_t salt, long min_steps,
               unsigned spread, void (*run_one)(unsigned long long, long))
{
    unsigned long long runs = 0;
    double t0 = fuzz_now();
    for (unsigned long long seed = a->seed;; seed++) {
        if (a->runs && runs >= a->runs)
            break;
        if (!a->runs && fuzz_now() - t0 >= a->seconds)
            break;
        struct fuzz_rng lr;
        fuzz_seed(&lr, seed ^ salt);
        long nsteps = min_steps + (long)fuzz_below(&lr, spread);
        if (a->verbose)
            fprintf(stderr, "seed %llu: %ld steps\n", seed, nsteps);
        run_one(seed, nsteps);
        runs++;
    }
    return runs;
}

/*
 * fuzzer [--seed N] [--runs N] [--seconds S] [-v]
 * Without --runs, runs seeds N, N+1, ... for S seconds (default 10).
 * GREEN_FUZZ_SECONDS in the environment overrides the default time.
 */
static inline void fuzz_parse_args(struct fuzz_args *a, int argc, char **argv,
                                   const char *name)
{
    a->seed = 1;
    a->runs = 0;
    a->seconds = 10;
    a->verbose = 0;
    const char *env = getenv("GREEN_FUZZ_SECONDS");
    if (env && *env)
        a->seconds = atof(env);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            a->seed = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            a->runs = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            a->seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "-v")) {
            a->verbose++;
        } else {
            fprintf(stderr,
                    "usage: %s [--seed N] [--runs N] [--seconds S] [-v]\n"
                    "  replays one failing seed with: %s --seed N --runs 1 "
                    "-v\n",
                    name, name);
            exit(2);
        }
    }
}

/* Reports a divergence from the model and aborts (a core dump or the
 * sanitizer's report shows where). */
static inline void __attribute__((noreturn, format(printf, 5, 6)))
fuzz_fail(unsigned long long seed, unsigned long long step, const char *file,
          int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d: DIVERGENCE at seed %llu, step %llu: ", file, line,
            seed, step);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  replay: --seed %llu --runs 1 -v\n", seed);
    abort();
}

/* The seed being run, for the crash report. */
static volatile unsigned long long fuzz_crash_seed;

static void fuzz_say_seed(void)
{
    char buf[96];
    unsigned long long v = fuzz_crash_seed;
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    const char *head = "\nfuzzer crashed in seed ";
    size_t len = strlen(head);
    memcpy(buf, head, len);
    while (n)
        buf[len++] = digits[--n];
    buf[len++] = '\n';
    ssize_t w = write(2, buf, len);
    (void)w;
}

#if !defined(__SANITIZE_ADDRESS__)
static void fuzz_on_crash(int sig)
{
    fuzz_say_seed();
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

/* On a crash (a signal, or a sanitizer's report), say which seed ran. */
static inline void fuzz_crash_report(void)
{
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(fuzz_say_seed);
#else
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fuzz_on_crash;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
#endif
}

#endif
