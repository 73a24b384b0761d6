/* SPDX-License-Identifier: MIT */
/*
 * test_create.c - green_create(): defaults, parents, options, userdata,
 * invalid arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

static int ran;

static int run_count(green_t *self, void *in, void **out)
{
    (void)self;
    ran++;
    *out = in;
    return GREEN_OK;
}

static void test_defaults(void **state)
{
    (void)state;
    green_t *main_g = green_main();
    assert_non_null(main_g);
    assert_ptr_equal(green_current(), main_g);
    assert_int_equal(green_is_main(main_g), 1);

    green_t *g = V(1);
    assert_ok(green_create(&g, run_count, NULL, NULL));
    assert_non_null(g);
    assert_true(g != main_g);
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_int_equal(green_is_main(g), 0);
    assert_ptr_equal(parent_of(g), main_g);
    assert_null(green_get_userdata(g));
    /* Creating does not start it, nor switch to it. */
    ran = 0;
    assert_int_equal(ran, 0);
    assert_ptr_equal(green_current(), main_g);
    assert_ok(green_release(g));
    assert_int_equal(ran, 0);
}

/* A run function that creates a greenlet with the default parent. */
static int run_create_child(green_t *self, void *in, void **out)
{
    (void)in;
    green_t *child = NULL;
    int rc = green_create(&child, run_count, NULL, NULL);
    if (rc != GREEN_OK)
        return rc;
    /* report the child; the parent check happens on main */
    green_t *p = NULL;
    green_get_parent(child, &p);
    *out = (p == self) ? child : NULL;
    if (!*out)
        green_release(child);
    return GREEN_OK;
}

static void test_parent_is_current_at_creation(void **state)
{
    (void)state;
    green_t *a = make(run_create_child, NULL);
    void *r = NULL;
    assert_ok(green_switch(a, NULL, &r));
    assert_non_null(r); /* child existed and its parent was a */
    green_t *child = r;
    /* a is dead now but still the child's parent */
    assert_int_equal(green_state(a), GREEN_STATE_DEAD);
    assert_ptr_equal(parent_of(child), a);
    assert_ok(green_release(child));
    assert_ok(green_release(a));
}

static void test_explicit_parent(void **state)
{
    (void)state;
    green_t *p = make(run_count, NULL);
    green_t *c = NULL;
    assert_ok(green_create(&c, run_count, p, NULL));
    assert_ptr_equal(parent_of(c), p);
    assert_ptr_equal(parent_of(p), green_main());
    /* The main greenlet may be given explicitly too. */
    green_t *d = NULL;
    assert_ok(green_create(&d, run_count, green_main(), NULL));
    assert_ptr_equal(parent_of(d), green_main());
    /* A dead parent is allowed. */
    ran = 0;
    assert_ok(green_switch(p, V(5), NULL));
    assert_int_equal(ran, 1);
    assert_int_equal(green_state(p), GREEN_STATE_DEAD);
    green_t *e = NULL;
    assert_ok(green_create(&e, run_count, p, NULL));
    assert_ptr_equal(parent_of(e), p);
    assert_ok(green_release(e));
    assert_ok(green_release(d));
    assert_ok(green_release(c));
    assert_ok(green_release(p));
}

static void test_parent_reference_held(void **state)
{
    (void)state;
    struct freed f;
    green_t *p = make(run_count, NULL);
    track(p, &f);
    green_t *c = make(run_count, p);
    /* The child keeps its parent alive. */
    assert_ok(green_release(p));
    assert_int_equal(f.count, 0);
    assert_ptr_equal(parent_of(c), p);
    assert_int_equal(green_state(p), GREEN_STATE_NEW);
    assert_ok(green_release(c));
    assert_int_equal(f.count, 1);
}

static void test_attr_init(void **state)
{
    (void)state;
    green_attr a;
    memset(&a, 0xa5, sizeof a);
    assert_ok(green_attr_init(&a));
    green_attr b = GREEN_ATTR_INIT;
    assert_int_equal(a.size, sizeof(green_attr));
    assert_int_equal(a.size, b.size);
    assert_int_equal(a.stack_size, 0);
    assert_int_equal(b.stack_size, 0);
    assert_null(a.userdata);
    assert_null(a.userdata_free);
    assert_null(b.userdata);
    assert_null(b.userdata_free);
    assert_int_equal(a.stack_mode, GREEN_STACK_MODE_DEFAULT);
    assert_int_equal(b.stack_mode, GREEN_STACK_MODE_DEFAULT);
    assert_int_equal(green_attr_init(NULL), GREEN_EINVAL);
}

static void test_attr_defaults_accepted(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    ran = 0;
    void *r = NULL;
    assert_ok(green_switch(g, V(3), &r));
    assert_ptr_equal(r, V(3));
    assert_int_equal(ran, 1);
    assert_ok(green_release(g));
}

static void expect_einval(const green_attr *a)
{
    green_t *g = V(77);
    assert_int_equal(green_create(&g, run_count, NULL, a), GREEN_EINVAL);
    assert_null(g);
}

static void test_attr_bad_size_field(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    a.size = 0;
    expect_einval(&a);
    /* Knows only `size`: stack_size is missing. */
    a.size = sizeof(size_t);
    expect_einval(&a);
    a.size = offsetof(green_attr, stack_size) + sizeof(size_t) - 1;
    expect_einval(&a);
}

static void test_attr_stack_size_range(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = GREEN_STACK_MIN - 1;
    expect_einval(&a);
    a.stack_size = 1;
    expect_einval(&a);
    a.stack_size = GREEN_STACK_MAX + 1;
    expect_einval(&a);
    a.stack_size = (size_t)-1;
    expect_einval(&a);

    /* The bounds themselves are valid. */
    green_t *g = NULL;
    a.stack_size = GREEN_STACK_MIN;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_ok(green_release(g));
    a.stack_size = GREEN_STACK_MAX;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_ok(green_release(g));
}

static void test_attr_bad_stack_mode(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    a.stack_mode = -1;
    expect_einval(&a);
    a.stack_mode = GREEN_STACK_AUTO + 1;
    expect_einval(&a);
    a.stack_mode = 1000;
    expect_einval(&a);
    static const int modes[] = {GREEN_STACK_GUARDED, GREEN_STACK_COPY,
                                GREEN_STACK_AUTO};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        a.stack_mode = modes[i];
        green_t *g = NULL;
        assert_ok(green_create(&g, run_count, NULL, &a));
        /* before it starts: the requested mode */
        assert_int_equal(green_stack_mode(g), modes[i]);
        assert_ok(green_release(g));
    }
}

static void test_attr_older_struct(void **state)
{
    (void)state;
    /* A caller that knows only size and stack_size: the rest is not read. */
    struct freed f = {0, NULL};
    green_attr a = GREEN_ATTR_INIT;
    a.size = offsetof(green_attr, userdata);
    a.userdata = &f;
    a.userdata_free = freed_fn;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_null(green_get_userdata(g));
    assert_ok(green_release(g));
    assert_int_equal(f.count, 0);

    /* Knows everything up to userdata_free, not stack_mode: a bad mode
     * there is not read. */
    a.size = offsetof(green_attr, stack_mode);
    a.stack_mode = 12345;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_ptr_equal(green_get_userdata(g), &f);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
    f.count = 0;
    a.stack_mode = 0;

    /* Knows userdata but not userdata_free. */
    a.size = offsetof(green_attr, userdata_free);
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_ptr_equal(green_get_userdata(g), &f);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 0);
}

static void test_attr_newer_struct(void **state)
{
    (void)state;
    /* A caller built against a later header whose struct is longer. */
    struct {
        green_attr a;
        char future[64];
    } big;
    memset(&big, 0, sizeof big);
    assert_ok(green_attr_init(&big.a));
    big.a.size = sizeof big;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_count, NULL, &big.a));
    assert_int_equal(green_state(g), GREEN_STATE_NEW);
    assert_ok(green_release(g));
}

/* Finds the mapping holding addr in /proc/self/maps. */
static int find_mapping(uintptr_t addr, uintptr_t *lo, uintptr_t *hi,
                        char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &a, &b, p) != 3)
            continue;
        if (addr >= a && addr < b) {
            *lo = a;
            *hi = b;
            memcpy(perms, p, 5);
            found = 0;
            break;
        }
    }
    fclose(f);
    return found;
}

struct stack_probe {
    uintptr_t lo, hi, guard_lo, guard_hi, addr;
    char perms[5], guard_perms[5];
    int ok;
};

/* The page below lo, which /proc/self/maps does not list under
 * qemu-user for 32-bit guests when it is PROT_NONE: it must be mapped
 * (mprotect fails with ENOMEM on a hole) and unreadable (the kernel, or
 * the emulator, refuses to read it with EFAULT). */
static int probe_guard(struct stack_probe *p)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *guard = (void *)(p->lo - page);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    ssize_t n = write(fds[1], guard, 1);
    int unreadable = n < 0 && errno == EFAULT;
    close(fds[0]);
    close(fds[1]);
    if (!unreadable || mprotect(guard, page, PROT_NONE) != 0)
        return -1;
    p->guard_lo = p->lo - page;
    p->guard_hi = p->lo;
    memcpy(p->guard_perms, "---p", 5);
    return 0;
}

static int run_probe(green_t *self, void *in, void **out)
{
    (void)self;
    (void)out;
    struct stack_probe *p = in;
    /* The frame, not a local: with AddressSanitizer's fake stacks a local
     * whose address is taken lives on the heap. */
    p->addr = (uintptr_t)__builtin_frame_address(0);
    p->ok = find_mapping(p->addr, &p->lo, &p->hi, p->perms) == 0 &&
            (find_mapping(p->lo - 1, &p->guard_lo, &p->guard_hi,
                          p->guard_perms) == 0 ||
             probe_guard(p) == 0);
    return GREEN_OK;
}

static void check_stack_size(size_t asked)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t expect = asked ? asked : GREEN_STACK_DEFAULT;
    expect = (expect + pg - 1) & ~(pg - 1);
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = asked;
    a.stack_mode = GREEN_STACK_GUARDED;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_probe, NULL, &a));
    assert_int_equal(green_stack_mode(g), GREEN_STACK_GUARDED);
    struct stack_probe p;
    memset(&p, 0, sizeof p);
    assert_ok(green_switch(g, &p, NULL));
    assert_true(p.ok);
    /* The usable part is read-write and starts right above an
     * inaccessible guard page; its top is the page-rounded size above
     * that, and the greenlet's first frames lie just below the top. (The
     * mapping itself may look longer if the kernel merged it with a
     * neighbour, hence >=.) */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_true(p.hi >= p.lo + expect);
    assert_true(p.addr < p.lo + expect);
    assert_true(p.lo + expect - p.addr <= page);
    assert_string_equal(p.perms, "rw-p");
    assert_int_equal(p.guard_hi, p.lo);
    assert_string_equal(p.guard_perms, "---p");
    assert_ok(green_release(g));
}

static void test_stack_size_honoured(void **state)
{
    (void)state;
    check_stack_size(0);
    check_stack_size(GREEN_STACK_MIN);
    check_stack_size(GREEN_STACK_MIN + 1);
    check_stack_size(GREEN_STACK_DEFAULT + 1);
    check_stack_size(3u * 1024u * 1024u + 100u);
}

/* Uses about 1.5 MiB of stack. */
static int run_big_frame(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    volatile char buf[1536 * 1024];
    for (size_t i = 0; i < sizeof buf; i += 512)
        buf[i] = (char)i;
    size_t sum = 0;
    for (size_t i = 0; i < sizeof buf; i += 512)
        sum += (unsigned char)buf[i];
    *out = (void *)(uintptr_t)sum;
    return GREEN_OK;
}

static void test_big_stack_usable(void **state)
{
    (void)state;
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = 2u * 1024u * 1024u;
    a.stack_mode = GREEN_STACK_GUARDED;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_big_frame, NULL, &a));
    void *r = NULL;
    assert_ok(green_switch(g, NULL, &r));
    size_t expect = 0;
    for (size_t i = 0; i < 1536 * 1024; i += 512)
        expect += (unsigned char)(char)i;
    assert_int_equal((uintptr_t)r, expect);
    assert_ok(green_release(g));
}

static void test_userdata_free_once(void **state)
{
    (void)state;
    struct freed f = {0, NULL};
    green_attr a = GREEN_ATTR_INIT;
    a.userdata = &f;
    a.userdata_free = freed_fn;

    /* Never started. */
    green_t *g = NULL;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_ptr_equal(green_get_userdata(g), &f);
    assert_ok(green_retain(g));
    assert_ok(green_release(g));
    assert_int_equal(f.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);
    assert_ptr_equal(f.last, &f);

    /* Started and finished. */
    f.count = 0;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_ok(green_switch(g, NULL, NULL));
    assert_int_equal(green_state(g), GREEN_STATE_DEAD);
    assert_int_equal(f.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 1);

    /* userdata without a free function: nothing is called. */
    f.count = 0;
    a.userdata_free = NULL;
    assert_ok(green_create(&g, run_count, NULL, &a));
    assert_ptr_equal(green_get_userdata(g), &f);
    assert_ok(green_release(g));
    assert_int_equal(f.count, 0);
}

static void test_set_userdata(void **state)
{
    (void)state;
    struct freed f1 = {0, NULL}, f2 = {0, NULL};
    green_attr a = GREEN_ATTR_INIT;
    a.userdata = &f1;
    a.userdata_free = freed_fn;
    green_t *g = NULL;
    assert_ok(green_create(&g, run_count, NULL, &a));
    /* Replaced without freeing the old one. */
    assert_ok(green_set_userdata(g, &f2, freed_fn));
    assert_ptr_equal(green_get_userdata(g), &f2);
    assert_int_equal(f1.count, 0);
    assert_ok(green_release(g));
    assert_int_equal(f1.count, 0);
    assert_int_equal(f2.count, 1);

    assert_int_equal(green_set_userdata(NULL, &f1, freed_fn), GREEN_EINVAL);
    assert_null(green_get_userdata(NULL));
    /* userdata of the main greenlet */
    void *old = green_get_userdata(green_main());
    assert_ok(green_set_userdata(green_main(), &f1, NULL));
    assert_ptr_equal(green_get_userdata(green_main()), &f1);
    assert_ok(green_set_userdata(green_main(), old, NULL));
}

static void test_null_out_or_run(void **state)
{
    (void)state;
    assert_int_equal(green_create(NULL, run_count, NULL, NULL), GREEN_EINVAL);
    green_t *g = V(9);
    assert_int_equal(green_create(&g, NULL, NULL, NULL), GREEN_EINVAL);
    assert_null(g);
    green_attr a = GREEN_ATTR_INIT;
    g = V(9);
    assert_int_equal(green_create(&g, NULL, NULL, &a), GREEN_EINVAL);
    assert_null(g);
    assert_int_equal(green_create(NULL, NULL, NULL, NULL), GREEN_EINVAL);
}

static void test_failed_create_keeps_parent_refs(void **state)
{
    (void)state;
    struct freed f;
    green_t *p = make(run_count, NULL);
    track(p, &f);
    green_attr a = GREEN_ATTR_INIT;
    a.stack_size = 1;
    green_t *g = V(1);
    assert_int_equal(green_create(&g, run_count, p, &a), GREEN_EINVAL);
    assert_int_equal(green_create(&g, NULL, p, NULL), GREEN_EINVAL);
    assert_null(g);
    /* No reference to p was taken by the failed calls. */
    assert_ok(green_release(p));
    assert_int_equal(f.count, 1);
}

static int run_nothing_for_attr(green_t *self, void *in, void **out)
{
    (void)self, (void)in, (void)out;
    return GREEN_OK;
}

/* green_attr_init_size() (1.3): writes exactly the size it is given. */
static void test_attr_init_size(void **state)
{
    (void)state;
    struct {
        green_attr attr;
        unsigned char tail[16];
    } big;
    memset(&big, 0xA5, sizeof big);
    size_t old_size = offsetof(green_attr, guard_size);
    /* A 1.0-sized struct: nothing past it is written. */
    assert_ok(green_attr_init_size(&big.attr, old_size));
    assert_int_equal(big.attr.size, old_size);
    assert_int_equal(big.attr.stack_size, 0);
    assert_int_equal(big.attr.stack_mode, GREEN_STACK_MODE_DEFAULT);
    const unsigned char *past = (const unsigned char *)&big.attr + old_size;
    for (size_t i = 0; i < sizeof big - old_size; i++)
        assert_int_equal(past[i], 0xA5);
    /* The current struct, by the macro. */
    memset(&big, 0xA5, sizeof big);
    assert_ok(GREEN_ATTR_INIT_SIZED(&big.attr));
    assert_int_equal(big.attr.size, sizeof(green_attr));
    assert_int_equal(big.attr.guard_size, 0);
    assert_null(big.attr.userdata);
    assert_int_equal(big.tail[0], 0xA5);
    /* A larger (future) struct: the unknown tail is zeroed. */
    memset(&big, 0xA5, sizeof big);
    assert_ok(green_attr_init_size(&big.attr, sizeof big - 8));
    assert_int_equal(big.attr.size, sizeof big - 8);
    for (size_t i = 0; i < sizeof big.tail - 8; i++)
        assert_int_equal(big.tail[i], 0);
    assert_int_equal(big.tail[sizeof big.tail - 8], 0xA5);
    green_t *g = NULL;
    assert_ok(green_create(&g, run_nothing_for_attr, NULL, &big.attr));
    green_release(g);
    /* Errors write nothing. */
    memset(&big, 0xA5, sizeof big);
    assert_int_equal(green_attr_init_size(NULL, sizeof(green_attr)),
                     GREEN_EINVAL);
    assert_int_equal(green_attr_init_size(&big.attr, old_size - 1),
                     GREEN_EINVAL);
    assert_int_equal(((unsigned char *)&big)[0], 0xA5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_attr_init_size),
        cmocka_unit_test(test_parent_is_current_at_creation),
        cmocka_unit_test(test_explicit_parent),
        cmocka_unit_test(test_parent_reference_held),
        cmocka_unit_test(test_attr_init),
        cmocka_unit_test(test_attr_defaults_accepted),
        cmocka_unit_test(test_attr_bad_size_field),
        cmocka_unit_test(test_attr_stack_size_range),
        cmocka_unit_test(test_attr_bad_stack_mode),
        cmocka_unit_test(test_attr_older_struct),
        cmocka_unit_test(test_attr_newer_struct),
        cmocka_unit_test(test_stack_size_honoured),
        cmocka_unit_test(test_big_stack_usable),
        cmocka_unit_test(test_userdata_free_once),
        cmocka_unit_test(test_set_userdata),
        cmocka_unit_test(test_null_out_or_run),
        cmocka_unit_test(test_failed_create_keeps_parent_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
