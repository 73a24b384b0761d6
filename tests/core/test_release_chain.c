/* SPDX-License-Identifier: MIT */
/*
 * test_release_chain.c - releasing the last handle of a long chain of
 * suspended greenlets, each the parent of the next.
 *
 * The release kills the last link; its death drops the last reference to
 * its parent, which is killed in turn, and so on down the chain. That
 * cascade must run in constant stack: here it runs from inside a greenlet
 * with a small stack (guarded links) and from inside a copy-mode greenlet
 * on the shared stack (a million copy-mode links).
 */
#include <stdlib.h>

#include "common.h"

/* AddressSanitizer makes every copy-mode switch far slower (its stack
 * copy is checked byte by byte, its fake stacks come and go): its build
 * runs shorter chains, still far beyond what a recursive cascade fits. */
#ifdef __SANITIZE_ADDRESS__
#define SCALE 20
#else
#define SCALE 1
#endif

struct chain {
    long exits;         /* links that saw GREEN_EXIT */
    long freed;         /* links whose userdata_free ran */
    long order_errors;  /* links killed out of order */
    long next_expected; /* the index of the link to die next */
    int build_rc;
};

static struct chain chain;

struct link {
    long index;
};

static void link_free(void *ud)
{
    chain.freed++;
    free(ud);
}

/* A link parks in its creator (passed as `in`) until killed. */
static int run_link(green_t *self, void *in, void **out)
{
    (void)out;
    int rc = green_switch((green_t *)in, NULL, NULL);
    if (rc == GREEN_EXIT) {
        struct link *l = green_get_userdata(self);
        chain.exits++;
        if (l->index != chain.next_expected)
            chain.order_errors++;
        chain.next_expected--;
    }
    return rc;
}

struct chain_args {
    long links;
    int mode;
    size_t stack_size;
};

/* Builds the chain from inside a greenlet, then releases its last link
 * from there: the whole cascade runs on this greenlet's stack. */
static int run_builder(green_t *self, void *in, void **out)
{
    (void)out;
    const struct chain_args *a = in;
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_mode = a->mode;
    attr.stack_size = a->stack_size;
    attr.userdata_free = link_free;
    green_t *prev = self;
    for (long i = 0; i < a->links; i++) {
        struct link *l = malloc(sizeof *l);
        if (!l) {
            chain.build_rc = GREEN_ENOMEM;
            return GREEN_OK;
        }
        l->index = i;
        attr.userdata = l;
        green_t *g = NULL;
        int rc = green_create(&g, run_link, prev, &attr);
        if (rc == GREEN_OK)
            rc = green_switch(g, self, NULL); /* starts it; it parks */
        if (rc != GREEN_OK) {
            chain.build_rc = rc;
            return GREEN_OK;
        }
        if (prev != self)
            green_release(prev); /* its child holds it now */
        prev = g;
    }
    chain.next_expected = a->links - 1;
    /* The last handle: every link dies, the last one first. */
    if (prev != self)
        green_release(prev);
    return GREEN_OK;
}

static void run_chain(long links, int mode, size_t builder_stack)
{
    memset(&chain, 0, sizeof chain);
    struct chain_args a = {links, mode, GREEN_STACK_MIN};
    green_attr battr = GREEN_ATTR_INIT;
    battr.stack_mode = mode;
    battr.stack_size = builder_stack;
    green_t *b = NULL;
    assert_ok(green_create(&b, run_builder, NULL, &battr));
    assert_ok(green_switch(b, &a, NULL));
    assert_int_equal(green_state(b), GREEN_STATE_DEAD);
    assert_int_equal(chain.build_rc, GREEN_OK);
    assert_int_equal(chain.exits, links);
    assert_int_equal(chain.freed, links);
    assert_int_equal(chain.order_errors, 0);
    assert_ok(green_release(b));
}

/* 5,000 guarded links from a greenlet with the smallest stack: the
 * recursive cascade took 64 bytes of it per link and more. */
static void test_guarded_chain_from_small_greenlet(void **state)
{
    (void)state;
    run_chain(5000, GREEN_STACK_GUARDED, GREEN_STACK_MIN);
}

/* A million copy-mode links, from a copy-mode greenlet (50,000 under
 * AddressSanitizer). */
static void test_copy_chain_million(void **state)
{
    (void)state;
    SKIP_UNDER_TSAN("a million greenlets that have run");
    run_chain(1000000 / SCALE, GREEN_STACK_COPY, 0);
}

/* Copy-mode links released from a guarded greenlet with a small stack. */
static void test_copy_chain_from_small_guarded(void **state)
{
    (void)state;
    SKIP_UNDER_TSAN("more greenlets that have run than it counts");
    run_chain(200000 / SCALE, GREEN_STACK_COPY, GREEN_STACK_MIN);
}

/* From the main greenlet: the same, with the thread's own stack. */
static void test_copy_chain_from_main(void **state)
{
    (void)state;
    SKIP_UNDER_TSAN("more greenlets that have run than it counts");
    memset(&chain, 0, sizeof chain);
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_mode = GREEN_STACK_COPY;
    attr.userdata_free = link_free;
    const long links = 300000 / SCALE;
    green_t *prev = green_main();
    for (long i = 0; i < links; i++) {
        struct link *l = malloc(sizeof *l);
        assert_non_null(l);
        l->index = i;
        attr.userdata = l;
        green_t *g = NULL;
        assert_ok(green_create(&g, run_link, prev, &attr));
        assert_ok(green_switch(g, green_main(), NULL));
        if (prev != green_main())
            assert_ok(green_release(prev));
        prev = g;
    }
    chain.next_expected = links - 1;
    assert_ok(green_release(prev));
    assert_int_equal(chain.exits, links);
    assert_int_equal(chain.freed, links);
    assert_int_equal(chain.order_errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guarded_chain_from_small_greenlet),
        cmocka_unit_test(test_copy_chain_million),
        cmocka_unit_test(test_copy_chain_from_small_guarded),
        cmocka_unit_test(test_copy_chain_from_main),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
