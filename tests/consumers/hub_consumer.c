/* SPDX-License-Identifier: MIT */
/*
 * hub_consumer.c - a program built against an installed libgreen-hub that
 * calls the hub only (so that --as-needed leaves libgreen.so.1 out of its
 * own dependencies: the hub library must find it). Three green threads
 * sleep and return their argument doubled; the program joins them.
 */
#include <stdint.h>
#include <stdio.h>

#include <green_hub.h>

static int twice(void *arg, void **out)
{
    int rc = green_hub_sleep(0.001 * (double)(intptr_t)arg);
    if (rc != GREEN_OK)
        return rc;
    *out = (void *)(2 * (intptr_t)arg);
    return GREEN_OK;
}

int main(void)
{
    green_thread_t *t[3];
    intptr_t sum = 0;
    for (intptr_t i = 0; i < 3; i++)
        if (green_hub_spawn(&t[i], twice, (void *)(i + 1)) != GREEN_OK)
            return 1;
    for (int i = 0; i < 3; i++) {
        void *v;
        int rc = green_thread_wait(t[i], 5.0, &v);
        if (rc != GREEN_OK) {
            fprintf(stderr, "wait: %s\n", green_hub_error_name(rc));
            return 1;
        }
        sum += (intptr_t)v;
        green_thread_release(t[i]);
    }
    if (green_hub_destroy() != GREEN_OK || sum != 12) {
        fprintf(stderr, "sum %ld\n", (long)sum);
        return 1;
    }
    printf("hub consumer: ok (libgreen-hub %d)\n", green_hub_version());
    return 0;
}
