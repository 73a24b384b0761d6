/* SPDX-License-Identifier: MIT */
/*
 * A program built against the libgreen 1.0 header as released
 * (abi/include/v1.0/green.h, not the current one) and run against the
 * library of this build: what a binary linked against 1.0 finds in a
 * later 1.x. It drives create, switch, throw, throw_exit, parent, state,
 * userdata, hooks, stack modes, retain and release, and checks that every
 * constant of the 1.0 header still means what it meant.
 *
 * Plain checks (NDEBUG would silence assert): the first failure prints
 * where it is and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "green.h"

#if GREEN_VERSION_MAJOR != 1 || GREEN_VERSION_MINOR != 0 ||                  \
    GREEN_VERSION_PATCH != 0
#error "old_binary.c must be compiled against the 1.0 header in abi/include"
#endif

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                   \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

#define CHECK_RC(call, want)                                                  \
    do {                                                                      \
        int rc_ = (call);                                                     \
        if (rc_ != (want)) {                                                  \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)\n", \
                    __FILE__, __LINE__, #call, rc_, green_error_name(rc_),    \
                    (int)(want), green_error_name(want));                     \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* ---- constants: a 1.x library gives each 1.0 value its 1.0 meaning ---- */

static void check_constants(void)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
#define C(x) {x, #x}
        C(GREEN_OK),     C(GREEN_THROWN),  C(GREEN_EXIT),
        C(GREEN_EINVAL), C(GREEN_ENOMEM),  C(GREEN_EDEAD),
        C(GREEN_ETHREAD), C(GREEN_ECYCLE), C(GREEN_EMAIN),
        C(GREEN_ENOSTACK), C(GREEN_EBUSY),
#undef C
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *name = green_error_name(codes[i].code);
        const char *text = green_strerror(codes[i].code);
        if (!name || strcmp(name, codes[i].name) != 0) {
            fprintf(stderr, "code %d: the 1.0 header calls it %s, the "
                    "library %s\n", codes[i].code, codes[i].name,
                    name ? name : "(null)");
            exit(1);
        }
        CHECK(text && text[0]);
    }

    int v = green_version();
    CHECK(v / 10000 == GREEN_VERSION_MAJOR);
    CHECK(v >= GREEN_VERSION); /* never older than the header we saw */
    const char *s = green_version_string();
    CHECK(s && strncmp(s, "1.", 2) == 0);
}

/* ---- bodies ---- */

static int freed;
static void on_free(void *p)
{
    CHECK(p == &freed);
    freed++;
}

/* The main scenario: talks with main, catches a throw, finishes. */
static int body(green_t *self, void *in, void **out)
{
    void *r = NULL;
    CHECK(strcmp((const char *)in, "hello") == 0);
    CHECK(green_current() == self);
    CHECK(green_state(self) == GREEN_STATE_RUNNING);
    CHECK(green_is_main(self) == 0);

    green_t *parent = NULL;
    CHECK_RC(green_get_parent(self, &parent), GREEN_OK);
    CHECK(parent == green_main());

    /* 1: a value out, a throw in. */
    CHECK_RC(green_switch(parent, "from child", &r), GREEN_THROWN);
    CHECK(strcmp((const char *)r, "error payload") == 0);

    /* 2: report the catch; next comes the value that ends us. */
    CHECK_RC(green_switch(parent, "caught", &r), GREEN_OK);
    CHECK(strcmp((const char *)r, "finish") == 0);

    /* By now main made g2 our parent: the result goes there. */
    CHECK_RC(green_get_parent(self, &parent), GREEN_OK);
    CHECK(parent != green_main());
    *out = "result";
    return GREEN_OK;
}

/* Started by the result of its child: passes it on to main. */
static char relay_buf[64];
static int relay(green_t *self, void *in, void **out)
{
    (void)self;
    snprintf(relay_buf, sizeof relay_buf, "relayed %s", (const char *)in);
    *out = relay_buf;
    return GREEN_OK;
}

/* Waits; lets a throw or an exit reach its top. */
static int exit_seen;
static int waiter(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    void *r = NULL;
    int rc = green_switch(green_main(), "waiting", &r);
    if (rc == GREEN_EXIT)
        exit_seen++;
    *out = r;
    return rc; /* GREEN_THROWN or GREEN_EXIT: both propagate as documented */
}

/* ---- hooks ---- */

static int hook_calls[2];
static void hook(void *data, int event, int phase, green_t *origin,
                 green_t *target)
{
    CHECK(data == hook_calls);
    CHECK(event >= GREEN_EVENT_SWITCH && event <= GREEN_EVENT_LEAK);
    CHECK(phase == GREEN_PHASE_BEFORE || phase == GREEN_PHASE_AFTER);
    CHECK(origin && target);
    hook_calls[phase == GREEN_PHASE_AFTER]++;
}

int main(void)
{
    check_constants();

    green_t *main_g = green_main();
    CHECK(main_g);
    CHECK(green_current() == main_g);
    CHECK(green_is_main(main_g) == 1);
    CHECK(green_state(main_g) == GREEN_STATE_RUNNING);

    /* The 1.0 green_attr, with guard bytes after it: a later library
     * must not write past the size this program knows. */
    struct {
        green_attr attr;
        unsigned char guard[64];
    } a;
    memset(&a, 0xA5, sizeof a);
    CHECK_RC(green_attr_init(&a.attr), GREEN_OK);
    for (size_t i = 0; i < sizeof a.guard; i++) {
        if (a.guard[i] != 0xA5) {
            fprintf(stderr, "green_attr_init wrote past the 1.0 green_attr "
                    "(%zu bytes): byte %zu after it changed\n",
                    sizeof(green_attr), i);
            return 1;
        }
    }
    CHECK(a.attr.size == sizeof(green_attr));
    CHECK(a.attr.stack_size == 0);
    CHECK(a.attr.userdata == NULL && a.attr.userdata_free == NULL);
    green_attr init = GREEN_ATTR_INIT;
    CHECK(init.size == sizeof(green_attr));

    a.attr.stack_size = 2 * GREEN_STACK_MIN;
    a.attr.userdata = &freed;
    a.attr.userdata_free = on_free;

    CHECK_RC(green_hook_add(hook, hook_calls), GREEN_OK);

    green_t *g = NULL;
    CHECK_RC(green_create(&g, body, NULL, &a.attr), GREEN_OK);
    CHECK(g);
    CHECK(green_state(g) == GREEN_STATE_NEW);
    CHECK(green_get_userdata(g) == &freed);
    green_t *parent = NULL;
    CHECK_RC(green_get_parent(g, &parent), GREEN_OK);
    CHECK(parent == main_g);

    /* switch in, value out */
    void *r = NULL;
    CHECK_RC(green_switch(g, "hello", &r), GREEN_OK);
    CHECK(strcmp((const char *)r, "from child") == 0);
    CHECK(green_state(g) == GREEN_STATE_SUSPENDED);
    CHECK(hook_calls[0] == 2 && hook_calls[1] == 2);
    CHECK_RC(green_hook_remove(hook, hook_calls), GREEN_OK);
    CHECK_RC(green_hook_remove(hook, hook_calls), GREEN_EINVAL);

    /* throw in, caught */
    CHECK_RC(green_throw(g, "error payload", &r), GREEN_OK);
    CHECK(strcmp((const char *)r, "caught") == 0);

    /* parent: g's result goes to g2, which relays it to main */
    green_t *g2 = NULL;
    CHECK_RC(green_create(&g2, relay, main_g, NULL), GREEN_OK);
    CHECK_RC(green_set_parent(g, g2), GREEN_OK);
    CHECK_RC(green_get_parent(g, &parent), GREEN_OK);
    CHECK(parent == g2);
    CHECK_RC(green_set_parent(g2, g), GREEN_ECYCLE);
    CHECK_RC(green_set_parent(main_g, g), GREEN_EMAIN);
    CHECK_RC(green_switch(g, "finish", &r), GREEN_OK);
    CHECK(strcmp((const char *)r, "relayed result") == 0);
    CHECK(green_state(g) == GREEN_STATE_DEAD);
    CHECK(green_state(g2) == GREEN_STATE_DEAD);
    CHECK_RC(green_switch(g, NULL, NULL), GREEN_EDEAD);

    /* a throw that is not caught comes back to the parent */
    green_t *g3 = NULL;
    int err = 42;
    CHECK_RC(green_create(&g3, waiter, NULL, NULL), GREEN_OK);
    CHECK_RC(green_switch(g3, NULL, &r), GREEN_OK);
    CHECK(strcmp((const char *)r, "waiting") == 0);
    CHECK_RC(green_throw(g3, &err, &r), GREEN_THROWN);
    CHECK(r == &err);
    CHECK(green_state(g3) == GREEN_STATE_DEAD);

    /* throw_exit: the exit reaching the top is an ordinary result */
    green_t *g4 = NULL;
    CHECK_RC(green_create(&g4, waiter, NULL, NULL), GREEN_OK);
    CHECK_RC(green_switch(g4, NULL, &r), GREEN_OK);
    CHECK_RC(green_throw_exit(g4, &err, &r), GREEN_OK);
    CHECK(r == &err);
    CHECK(exit_seen == 1);
    CHECK_RC(green_throw_exit(main_g, NULL, NULL), GREEN_EMAIN);

    /* releasing the last reference to a suspended greenlet kills it */
    green_t *g5 = NULL;
    CHECK_RC(green_create(&g5, waiter, NULL, NULL), GREEN_OK);
    CHECK_RC(green_switch(g5, NULL, &r), GREEN_OK);
    CHECK_RC(green_release(g5), GREEN_OK);
    CHECK(exit_seen == 2);

    /* stack modes, through green_attr.stack_mode and the thread default */
    CHECK(a.attr.stack_mode == GREEN_STACK_MODE_DEFAULT);
    a.attr.stack_mode = GREEN_STACK_COPY;
    a.attr.userdata = NULL;
    a.attr.userdata_free = NULL;
    green_t *g6 = NULL;
    CHECK_RC(green_create(&g6, waiter, NULL, &a.attr), GREEN_OK);
    CHECK(green_stack_mode(g6) == GREEN_STACK_COPY);
    CHECK_RC(green_switch(g6, NULL, &r), GREEN_OK);
    CHECK(strcmp((const char *)r, "waiting") == 0);
    CHECK(green_stack_mode(g6) == GREEN_STACK_COPY);
    CHECK_RC(green_throw_exit(g6, &err, &r), GREEN_OK);
    CHECK(r == &err && exit_seen == 3);
    CHECK_RC(green_release(g6), GREEN_OK);
    CHECK_RC(green_set_stack_mode(GREEN_STACK_AUTO + 100, GREEN_SCOPE_THREAD),
             GREEN_EINVAL);
    CHECK_RC(green_set_stack_mode(GREEN_STACK_COPY, GREEN_SCOPE_THREAD),
             GREEN_OK);
    CHECK_RC(green_create(&g6, waiter, NULL, NULL), GREEN_OK);
    CHECK(green_stack_mode(g6) == GREEN_STACK_COPY);
    CHECK_RC(green_set_stack_mode(GREEN_STACK_MODE_DEFAULT,
                                  GREEN_SCOPE_THREAD), GREEN_OK);
    CHECK_RC(green_release(g6), GREEN_OK);
    CHECK(green_stack_mode(NULL) == GREEN_EINVAL);

    /* references and userdata_free */
    CHECK_RC(green_retain(g), GREEN_OK);
    CHECK_RC(green_release(g), GREEN_OK);
    CHECK(freed == 0);
    CHECK_RC(green_set_userdata(g, &freed, on_free), GREEN_OK);
    CHECK_RC(green_release(g), GREEN_OK);
    CHECK(freed == 1);
    CHECK_RC(green_release(g2), GREEN_OK);
    CHECK_RC(green_release(g3), GREEN_OK);
    CHECK_RC(green_release(g4), GREEN_OK);
    CHECK_RC(green_release(NULL), GREEN_EINVAL);
    CHECK(green_state(NULL) == GREEN_EINVAL);

    printf("PASS: a 1.0 program runs against libgreen %s\n",
           green_version_string());
    return 0;
}
