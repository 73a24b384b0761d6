/* SPDX-License-Identifier: MIT */
/*
 * deferred_kill.c - green.h says that when another thread releases the
 * last reference to a suspended greenlet, the kill runs "when that thread
 * next calls into libgreen". Calls such as green_current(), green_main(),
 * green_set_parent() or green_hook_add() on the owner thread do not run
 * it; only green_create(), green_switch(), green_throw() and
 * green_throw_exit() do. And there is no call whose only job is to run
 * the pending kills, so an owner thread that wants its garbage collected
 * must create or switch something.
 *
 *   cc -pthread deferred_kill.c $(pkg-config --cflags --libs green) && ./a.out
 */
#include <pthread.h>
#include <stdio.h>

#include <green.h>

static int cleaned;

static int body(green_t *self, void *in, void **out)
{
    green_t *parent;
    (void)in;
    green_get_parent(self, &parent);
    if (green_switch(parent, NULL, out) == GREEN_EXIT)
        cleaned = 1;
    return GREEN_EXIT;
}

static void *release_elsewhere(void *g)
{
    green_release(g);
    return NULL;
}

int main(void)
{
    green_t *g, *other;
    green_create(&g, body, NULL, NULL);
    green_create(&other, body, NULL, NULL);
    green_switch(g, NULL, NULL); /* g is suspended */

    pthread_t th;
    pthread_create(&th, NULL, release_elsewhere, g);
    pthread_join(th, NULL);

    /* Calls into libgreen from the owner thread. */
    green_current();
    green_main();
    green_set_parent(other, green_main());
    printf("after current/main/set_parent: cleanup ran = %d\n", cleaned);

    green_switch(other, NULL, NULL);
    printf("after a switch:                cleanup ran = %d\n", cleaned);
    green_throw_exit(other, NULL, NULL);
    green_release(other);
    return 0;
}
