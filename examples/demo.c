/* SPDX-License-Identifier: MIT */
/*
 * demo.c - the greenlet model in a page of C: a generator and a
 * producer -> filter -> consumer pipeline, each stage a greenlet.
 */
#include <green.h>
#include <stdint.h>
#include <stdio.h>

#define V(x) ((void *)(intptr_t)(x))
#define I(p) ((intptr_t)(p))

/* A generator: yields the Fibonacci numbers below the limit it is started
 * with, each by switching to its parent. */
static int fibonacci(green_t *self, void *limit, void **out)
{
    green_t *parent;
    green_get_parent(self, &parent);
    intptr_t a = 0, b = 1;
    while (a < I(limit)) {
        int rc = green_switch(parent, V(a), NULL);
        if (rc == GREEN_EXIT) { /* killed: clean up and finish */
            printf("  generator: exit received at %ld, finishing\n", (long)a);
            return rc;
        }
        if (rc != GREEN_OK) /* an error was thrown in: pass it on */
            return rc;
        intptr_t next = a + b;
        a = b;
        b = next;
    }
    *out = V(-1); /* the end marker goes to the parent as the result */
    return GREEN_OK;
}

/* Pipeline: main pulls from the filter, which pulls from the source. A
 * pull is a switch to the upstream greenlet; upstream hands a value back
 * by switching to its parent, the stage that pulls from it. */
static int squares(green_t *self, void *count, void **out)
{
    green_t *parent;
    green_get_parent(self, &parent);
    for (intptr_t i = 1; i <= I(count); i++)
        green_switch(parent, V(i * i), NULL);
    *out = V(-1);
    return GREEN_OK;
}

static int odd_only(green_t *self, void *upstream, void **out)
{
    green_t *parent;
    green_get_parent(self, &parent);
    green_t *up = upstream;
    void *v;
    /* Pull from upstream; we are its parent, so it switches back to us. */
    while (green_switch(up, V(20), &v) == GREEN_OK && I(v) != -1) {
        if (I(v) % 2)
            green_switch(parent, v, NULL);
    }
    *out = V(-1);
    return GREEN_OK;
}

int main(void)
{
    printf("libgreen %s\n\n", green_version_string());

    printf("generator: Fibonacci below 100:");
    green_t *gen;
    green_create(&gen, fibonacci, NULL, NULL);
    void *v;
    int rc = green_switch(gen, V(100), &v);
    while (rc == GREEN_OK && I(v) != -1) {
        printf(" %ld", (long)I(v));
        rc = green_switch(gen, NULL, &v);
    }
    printf("\n  generator state after the end: %s\n\n",
           green_state(gen) == GREEN_STATE_DEAD ? "dead" : "alive");
    green_release(gen);

    printf("pipeline: squares -> odd only -> main, first 20 squares:");
    green_t *filter, *source;
    green_create(&filter, odd_only, NULL, NULL);
    green_create(&source, squares, filter, NULL); /* source's parent */
    rc = green_switch(filter, source, &v);
    intptr_t sum = 0;
    while (rc == GREEN_OK && I(v) != -1) {
        printf(" %ld", (long)I(v));
        sum += I(v);
        rc = green_switch(filter, NULL, &v);
    }
    printf("\n  sum %ld\n\n", (long)sum);
    green_release(source);
    green_release(filter);

    printf("kill: releasing a suspended generator throws exit into it\n");
    green_create(&gen, fibonacci, NULL, NULL);
    green_switch(gen, V(1000), &v);
    green_switch(gen, NULL, &v);
    printf("  suspended after yielding %ld; releasing it\n", (long)I(v));
    green_release(gen);
    return 0;
}
