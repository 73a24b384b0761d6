/* SPDX-License-Identifier: MIT */
/* timers.c - the hub's clock and its timer heap (see timers.h). */
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "timers.h"

int64_t green_hub__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double green_hub_now(void) { return (double)green_hub__now_ns() / 1e9; }

static int earlier(const struct green_hub__timer *a,
                   const struct green_hub__timer *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
}

static void put(struct green_hub__heap *hp, size_t i,
                struct green_hub__timer *t)
{
    hp->v[i] = t;
    t->idx = i + 1;
}

static void sift_up(struct green_hub__heap *hp, size_t i)
{
    struct green_hub__timer *t = hp->v[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!earlier(t, hp->v[p]))
            break;
        put(hp, i, hp->v[p]);
        i = p;
    }
    put(hp, i, t);
}

static void sift_down(struct green_hub__heap *hp, size_t i)
{
    struct green_hub__timer *t = hp->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hp->n)
            break;
        if (c + 1 < hp->n && earlier(hp->v[c + 1], hp->v[c]))
            c++;
        if (!earlier(hp->v[c], t))
            break;
        put(hp, i, hp->v[c]);
        i = c;
    }
    put(hp, i, t);
}

int green_hub__timer_arm(struct green_hub__heap *hp,
                         struct green_hub__timer *t, double timeout)
{
    if (hp->n == hp->cap) {
        size_t cap = hp->cap ? hp->cap * 2 : 64;
        struct green_hub__timer **v = realloc(hp->v, cap * sizeof *v);
        if (!v)
            return GREEN_ENOMEM;
        hp->v = v;
        hp->cap = cap;
    }
    int64_t now = green_hub__now_ns();
    /* Beyond ~292 years is forever for all practical purposes. */
    double ns = timeout * 1e9;
    t->deadline = ns >= (double)(INT64_MAX - now) ? INT64_MAX
                                                  : now + (int64_t)ns;
    t->seq = hp->seq++;
    hp->v[hp->n] = t;
    sift_up(hp, hp->n++);
    return GREEN_OK;
}

void green_hub__timer_remove(struct green_hub__heap *hp,
                             struct green_hub__timer *t)
{
    size_t i = t->idx - 1;
    t->idx = 0;
    struct green_hub__timer *last = hp->v[--hp->n];
    if (i == hp->n)
        return;
    put(hp, i, last);
    if (i > 0 && earlier(last, hp->v[(i - 1) / 2]))
        sift_up(hp, i);
    else
        sift_down(hp, i);
}

int green_hub__timer_wait_ms(const struct green_hub__heap *hp)
{
    if (!hp->n)
        return -1;
    int64_t d = hp->v[0]->deadline - green_hub__now_ns();
    if (d <= 0)
        return 0;
    if (d >= (int64_t)INT_MAX * 1000000)
        return INT_MAX;
    return (int)((d + 999999) / 1000000);
}

void green_hub__heap_free(struct green_hub__heap *hp)
{
    free(hp->v);
    *hp = (struct green_hub__heap){0};
}
