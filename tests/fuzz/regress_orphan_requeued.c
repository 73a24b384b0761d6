/* SPDX-License-Identifier: MIT */
/*
 * regress_orphan_requeued.c - found by fuzz_core.
 *
 * A running greenlet whose last reference another thread releases is
 * queued for its thread; its thread's next green_create() takes the queue
 * and marks it to be reaped once it switches away. If it then gains a
 * reference again (here: a child created with it as the parent) and loses
 * it on another thread (the child, never started, is freed there), its
 * last reference goes a second time and it is queued again while still
 * marked. When it finishes, its thread reaps it, frees it, and then walks
 * the queue through the freed greenlet (heap use after free under
 * AddressSanitizer). green.h: a greenlet is freed once, when its last
 * reference goes, whichever thread releases it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <green.h>

static void count_free(void *counter) { ++*(int *)counter; }

static void *release_there(void *g)
{
    green_release(g);
    return NULL;
}

/* Releases one reference to g on a thread of its own. */
static void release_on_other_thread(green_t *g)
{
    pthread_t th;
    if (pthread_create(&th, NULL, release_there, g) == 0)
        pthread_join(th, NULL);
}

static int child_run(green_t *self, void *in, void **out)
{
    (void)self;
    *out = in;
    return GREEN_OK;
}

static int frees_g, frees_child, create_rc = -100;

static int g_run(green_t *self, void *in, void **out)
{
    /* The caller handed over its only reference: it goes elsewhere. */
    release_on_other_thread(self);
    green_attr a = GREEN_ATTR_INIT;
    a.userdata = &frees_child;
    a.userdata_free = count_free;
    green_t *child = NULL;
    create_rc = green_create(&child, child_run, NULL, &a); /* parent: self */
    if (create_rc == GREEN_OK)
        release_on_other_thread(child);
    *out = in;
    return GREEN_OK;
}

static void test_orphan_regains_and_loses_reference(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    a.userdata = &frees_g;
    a.userdata_free = count_free;
    green_t *g = NULL;
    assert_int_equal(green_create(&g, g_run, NULL, &a), GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_switch(g, &res, &res), GREEN_OK);
    assert_ptr_equal(res, &res);
    assert_int_equal(create_rc, GREEN_OK);
    assert_int_equal(frees_child, 1);
    /* A switch takes whatever is still queued for this thread. */
    assert_int_equal(green_switch(green_current(), NULL, NULL), GREEN_OK);
    assert_int_equal(frees_g, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orphan_regains_and_loses_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
