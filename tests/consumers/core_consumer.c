/* SPDX-License-Identifier: MIT */
/*
 * core_consumer.c - a program built against an installed libgreen: a
 * generator greenlet yields 0, 1, 2 and returns; the program checks what it
 * got and that the library is the version of its header.
 */
#include <stdint.h>
#include <stdio.h>

#include <green.h>

static int count(green_t *self, void *limit, void **out)
{
    green_t *parent;
    int rc = green_get_parent(self, &parent);
    if (rc != GREEN_OK)
        return rc;
    for (intptr_t i = 0; i < (intptr_t)limit; i++) {
        rc = green_switch(parent, (void *)i, NULL);
        if (rc != GREEN_OK)
            return rc;
    }
    *out = (void *)-1;
    return GREEN_OK;
}

int main(void)
{
    green_t *g;
    void *v;
    intptr_t sum = 0, n = 0;
    if (green_version() != GREEN_VERSION) {
        fprintf(stderr, "library %s, header %d\n", green_version_string(),
                GREEN_VERSION);
        return 1;
    }
    if (green_create(&g, count, NULL, NULL) != GREEN_OK)
        return 1;
    int rc;
    for (rc = green_switch(g, (void *)3, &v); rc == GREEN_OK && v != (void *)-1;
         rc = green_switch(g, NULL, &v)) {
        sum += (intptr_t)v;
        n++;
    }
    green_release(g);
    if (rc != GREEN_OK || n != 3 || sum != 3) {
        fprintf(stderr, "rc %d, %ld values, sum %ld\n", rc, (long)n, (long)sum);
        return 1;
    }
    printf("core consumer: ok (libgreen %s)\n", green_version_string());
    return 0;
}
