/* SPDX-License-Identifier: MIT */
/*
 * libgreen as a foreign-function caller sees it (ctypes, cffi, Rust's
 * libloading, Go's purego): no header, only the library's SONAME and the
 * manifest of its functions (abi/green-1.0.manifest).
 *
 *   ffi_conformance [--resolve-only] <library directory> <manifest>...
 *
 * dlopen()s the manifests' @soname (found through LD_LIBRARY_PATH, set by
 * ctest to the build's library directory, which the test checks), resolves
 * every manifest function with dlsym() and with dlvsym() at its manifest's
 * @node, and prepares a libffi call interface from each manifest
 * signature. Then, unless --resolve-only (for a library without a
 * scenario here), it drives a real scenario only through ffi_call():
 *  - libgreen.so.1: create, switch, throw, throw_exit, parent, state,
 *    userdata, hooks, stack modes, release, with libffi closures as the
 *    greenlet's run function, the userdata destructor and the hook;
 *  - libgreen-hub.so.1: the double, long and size_t conventions (clock,
 *    sleep, timeouts, semaphore and queue counts) and a green thread whose
 *    body is a libffi closure woken by an event.
 *
 * This file deliberately does not include green.h: the few constants it
 * needs are restated here, as a binding restates them, so that a change of
 * their values in a 1.x release fails this test. The layout of green_attr
 * comes from the manifest's `struct` line (the oldest one: what a binding
 * written for 1.0 allocates), laid out by libffi as ctypes would.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ffi.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- what a binding restates from the 1.0 documentation ---- */

enum {
    OK = 0, THROWN = 1, EXIT = 2,
    EINVAL = -1, EDEAD = -3, ECYCLE = -5, EMAIN = -6,
    STATE_NEW = 1, STATE_RUNNING = 2, STATE_SUSPENDED = 3, STATE_DEAD = 4,
    EVENT_SWITCH = 1, EVENT_LEAK = 4, PHASE_BEFORE = 1, PHASE_AFTER = 2,
    STACK_MIN = 16 * 1024,
    STACK_MODE_DEFAULT = 0, STACK_GUARDED = 1, STACK_COPY = 2, STACK_AUTO = 3,
    SCOPE_THREAD = 1
};


/* ---- checks ---- */

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                   \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- the manifest ---- */

#define MAX_FUNCS 256
#define MAX_PARAMS 8

struct fn {
    char name[64];
    char node[64];
    char old_node[64]; /* an earlier version's node, or "" */
    char ret[16];
    int nparams;
    char param[MAX_PARAMS][16];
    ffi_type *ffi_ret;
    ffi_type *ffi_params[MAX_PARAMS];
    ffi_cif cif;
    void *addr;
    int calls;
};

static struct fn fns[MAX_FUNCS];
static int nfns;

/* A struct of the manifest: struct <name>(<type> <field>, ...) */
struct st {
    char name[64];
    int nfields;
    char field[MAX_PARAMS][32];
    ffi_type *elements[MAX_PARAMS + 1];
    ffi_type type;
    size_t offset[MAX_PARAMS];
};

static struct st structs[8];
static int nstructs;
static char soname[128];

static ffi_type *ffi_type_of(const char *t)
{
    if (!strcmp(t, "void"))
        return &ffi_type_void;
    if (!strcmp(t, "int"))
        return &ffi_type_sint;
    if (!strcmp(t, "long"))
        return &ffi_type_slong;
    if (!strcmp(t, "size_t"))
        return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
    if (!strcmp(t, "ssize_t"))
        return sizeof(size_t) == 8 ? &ffi_type_sint64 : &ffi_type_sint32;
    if (!strcmp(t, "socklen_t"))
        return sizeof(socklen_t) == 4 ? &ffi_type_uint32 : &ffi_type_uint64;
    if (!strcmp(t, "double"))
        return &ffi_type_double;
    if (!strcmp(t, "ptr") || !strcmp(t, "str") || !strcmp(t, "fnptr"))
        return &ffi_type_pointer;
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
                     e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static void read_manifest(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail("cannot open the manifest %s", path);
    char line[512], node[64] = "";
    int renewed = 0; /* functions given a new version by this manifest */
    int no = 0, first = nfns;
    while (fgets(line, sizeof line, f)) {
        no++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        if (*s == '@') {
            char key[32], value[64];
            if (sscanf(s, "@%31s %63s", key, value) != 2)
                fail("%s:%d: bad directive", path, no);
            if (!strcmp(key, "soname")) {
                if (soname[0] && strcmp(soname, value) != 0)
                    fail("%s: @soname %s, another manifest says %s", path,
                         value, soname);
                snprintf(soname, sizeof soname, "%s", value);
            } else if (!strcmp(key, "node")) {
                snprintf(node, sizeof node, "%s", value);
            }
            continue;
        }
        if (!strncmp(s, "struct ", 7)) {
            char name[64];
            char *open = strchr(s, '('), *close = strrchr(s, ')');
            if (!open || !close || close < open ||
                sscanf(s + 7, "%63[A-Za-z0-9_]", name) != 1)
                fail("%s:%d: cannot read '%s'", path, no, s);
            /* A later manifest's layout (fields appended) replaces the
             * earlier one: it is the one green_attr_init's default
             * version, which dlsym() finds, fills. */
            int slot = nstructs;
            for (int i = 0; i < nstructs; i++)
                if (!strcmp(structs[i].name, name))
                    slot = i;
            if (slot == (int)(sizeof structs / sizeof structs[0]))
                fail("%s: too many structs", path);
            struct st *st = &structs[slot];
            memset(st, 0, sizeof *st);
            snprintf(st->name, sizeof st->name, "%s", name);
            *close = '\0';
            for (char *tok = strtok(open + 1, ","); tok;
                 tok = strtok(NULL, ",")) {
                char type[16];
                if (st->nfields == MAX_PARAMS)
                    fail("%s:%d: too many fields", path, no);
                if (sscanf(tok, "%15s %31s", type, st->field[st->nfields]) != 2 ||
                    !(st->elements[st->nfields] = ffi_type_of(type)) ||
                    !strcmp(type, "void"))
                    fail("%s:%d: bad field '%s'", path, no, tok);
                st->nfields++;
            }
            st->elements[st->nfields] = NULL;
            st->type.size = st->type.alignment = 0;
            st->type.type = FFI_TYPE_STRUCT;
            st->type.elements = st->elements;
            if (ffi_get_struct_offsets(FFI_DEFAULT_ABI, &st->type,
                                       st->offset) != FFI_OK)
                fail("%s:%d: libffi cannot lay out struct %s", path, no, name);
            if (slot == nstructs)
                nstructs++;
            continue;
        }
        /* <ret> <name>(<type>, <type>...) */
        if (nfns == MAX_FUNCS)
            fail("%s: too many functions", path);
        struct fn *fn = &fns[nfns];
        char *open = strchr(s, '('), *close = strrchr(s, ')');
        if (!open || !close || close < open ||
            sscanf(s, "%15s %63[A-Za-z0-9_]", fn->ret, fn->name) != 2)
            fail("%s:%d: cannot read '%s'", path, no, s);
        *close = '\0';
        char *params = trim(open + 1);
        if (strcmp(params, "void") != 0) {
            for (char *tok = strtok(params, ","); tok;
                 tok = strtok(NULL, ",")) {
                if (fn->nparams == MAX_PARAMS)
                    fail("%s:%d: too many parameters", path, no);
                snprintf(fn->param[fn->nparams++], 16, "%s", trim(tok));
            }
        }
        if (!(fn->ffi_ret = ffi_type_of(fn->ret)))
            fail("%s:%d: unknown type %s", path, no, fn->ret);
        for (int i = 0; i < fn->nparams; i++)
            if (!(fn->ffi_params[i] = ffi_type_of(fn->param[i])) ||
                !strcmp(fn->param[i], "void"))
                fail("%s:%d: bad parameter type %s", path, no, fn->param[i]);
        int again = -1;
        for (int i = 0; i < nfns; i++)
            if (!strcmp(fns[i].name, fn->name))
                again = i;
        if (again >= 0) {
            /* A new default version in a later node: the call goes to it,
             * and the old version must still resolve at its node. */
            if (fns[again].old_node[0])
                fail("%s:%d: %s is listed three times", path, no, fn->name);
            memcpy(fns[again].old_node, fns[again].node,
                   sizeof fns[again].node);
            snprintf(fns[again].node, sizeof fns[again].node, "%s", node);
            renewed++;
            continue;
        }
        if (ffi_prep_cif(&fn->cif, FFI_DEFAULT_ABI, (unsigned)fn->nparams,
                         fn->ffi_ret, fn->ffi_params) != FFI_OK)
            fail("%s:%d: ffi_prep_cif failed for %s", path, no, fn->name);
        nfns++;
    }
    fclose(f);
    if (!soname[0] || !node[0])
        fail("%s: @soname and @node are required", path);
    if (nfns == first && !renewed)
        fail("%s: no function", path);
    for (int i = first; i < nfns; i++)
        snprintf(fns[i].node, sizeof fns[i].node, "%s", node);
}

static struct fn *lookup(const char *name)
{
    for (int i = 0; i < nfns; i++)
        if (!strcmp(fns[i].name, name))
            return &fns[i];
    fail("%s is not in the manifest", name);
    return NULL;
}

static struct st *find_struct(const char *name)
{
    for (int i = 0; i < nstructs; i++)
        if (!strcmp(structs[i].name, name))
            return &structs[i];
    fail("struct %s is not in the manifest", name);
    return NULL;
}

/* Where field `name` of a struct laid out as `st` is in `base`. */
static void *field(const struct st *st, void *base, const char *name)
{
    for (int i = 0; i < st->nfields; i++)
        if (!strcmp(st->field[i], name))
            return (char *)base + st->offset[i];
    fail("struct %s has no field %s in the manifest", st->name, name);
    return NULL;
}

/* ---- calls through libffi ---- */

/* An argument as the caller means it: its kind is checked against the
 * manifest's parameter type, as a binding's declared argtypes would be. */
struct arg {
    char kind; /* 'i' int, 'z' size_t, 'd' double, 'p' data pointer,
                  'f' function pointer */
    union {
        int i;
        size_t z;
        double d;
        void *p;
        void (*f)(void);
    } v;
};
#define I(x) ((struct arg){'i', {.i = (x)}})
#define P(x) ((struct arg){'p', {.p = (void *)(x)}})
#define F(x) ((struct arg){'f', {.f = (void (*)(void))(x)}})
#define Z(x) ((struct arg){'z', {.z = (x)}})
#define D(x) ((struct arg){'d', {.d = (x)}})

static int kind_matches(char kind, const char *type)
{
    switch (kind) {
    case 'i': return !strcmp(type, "int");
    case 'z': return !strcmp(type, "size_t");
    case 'd': return !strcmp(type, "double");
    case 'p': return !strcmp(type, "ptr");
    case 'f': return !strcmp(type, "fnptr");
    }
    return 0;
}

union ret {
    ffi_arg word; /* integral results are widened to ffi_arg */
    void *p;
    double d;
};

static union ret vcall(const char *name, const char *ret, int n,
                       const struct arg *args)
{
    struct fn *fn = lookup(name);
    if (strcmp(fn->ret, ret) != 0)
        fail("%s: the manifest returns %s, the caller expects %s", name,
             fn->ret, ret);
    if (fn->nparams != n)
        fail("%s: the manifest has %d parameters, the caller passes %d",
             name, fn->nparams, n);
    void *values[MAX_PARAMS];
    for (int i = 0; i < n; i++) {
        if (!kind_matches(args[i].kind, fn->param[i]))
            fail("%s: parameter %d is %s in the manifest, the caller passes "
                 "kind '%c'", name, i + 1, fn->param[i], args[i].kind);
        values[i] = (void *)&args[i].v;
    }
    union ret r;
    memset(&r, 0, sizeof r);
    ffi_call(&fn->cif, FFI_FN(fn->addr), &r, values);
    fn->calls++;
    return r;
}

#define NARGS(...) (int)(sizeof((struct arg[]){__VA_ARGS__}) / sizeof(struct arg))
#define ARGS(...) NARGS(__VA_ARGS__), (struct arg[]){__VA_ARGS__}

static int call_int(const char *name, int n, const struct arg *a)
{
    return (int)(ffi_sarg)vcall(name, "int", n, a).word;
}
static void *call_ptr(const char *name, int n, const struct arg *a)
{
    return vcall(name, "ptr", n, a).p;
}
static const char *call_str(const char *name, int n, const struct arg *a)
{
    return vcall(name, "str", n, a).p;
}
static long call_long(const char *name, int n, const struct arg *a)
{
    return (long)(ffi_sarg)vcall(name, "long", n, a).word;
}
static size_t call_size(const char *name, int n, const struct arg *a)
{
    return (size_t)vcall(name, "size_t", n, a).word;
}
static double call_double(const char *name, int n, const struct arg *a)
{
    return vcall(name, "double", n, a).d;
}
static struct arg no_args[1];

#define CALL_RC(want, name, ...)                                              \
    do {                                                                      \
        int rc_ = call_int(name, ARGS(__VA_ARGS__));                          \
        if (rc_ != (want))                                                    \
            fail("%s:%d: %s returned %d, expected %d", __FILE__, __LINE__,    \
                 name, rc_, (int)(want));                                     \
    } while (0)

/* ---- closures ---- */

/* The run functions, int run(green_t *self, void *in, void **out). Each
 * behaviour is one closure over the same handler. */
enum behaviour { TALKER, RELAY, WAITER };

static void *main_g;
static int exits_seen;
static char relay_buf[64];
static ffi_cif run_cif, free_cif, hook_cif;
static ffi_type *run_args[3], *free_args[1], *hook_args[5];

static void run_handler(ffi_cif *cif, void *ret, void **args, void *data)
{
    (void)cif;
    void *self = *(void **)args[0];
    void *in = *(void **)args[1];
    void **out = *(void ***)args[2];
    void *r = NULL, *parent = NULL;
    int rc = OK;

    CHECK(call_ptr("green_current", 0, no_args) == self);
    CHECK(call_int("green_state", ARGS(P(self))) == STATE_RUNNING);
    CHECK(*out == NULL);

    switch ((enum behaviour)(intptr_t)data) {
    case TALKER:
        CHECK(!strcmp(in, "hello"));
        CALL_RC(OK, "green_get_parent", P(self), P(&parent));
        CHECK(parent == main_g);
        CALL_RC(THROWN, "green_switch", P(parent), P("from child"), P(&r));
        CHECK(!strcmp(r, "error payload"));
        CALL_RC(OK, "green_switch", P(parent), P("caught"), P(&r));
        CHECK(!strcmp(r, "finish"));
        *out = "result";
        rc = OK;
        break;
    case RELAY:
        snprintf(relay_buf, sizeof relay_buf, "relayed %s", (char *)in);
        *out = relay_buf;
        rc = OK;
        break;
    case WAITER:
        rc = call_int("green_switch", ARGS(P(main_g), P("waiting"), P(&r)));
        if (rc == EXIT)
            exits_seen++;
        *out = r;
        break;
    }
    *(ffi_sarg *)ret = rc;
}

static int frees;
static void free_handler(ffi_cif *cif, void *ret, void **args, void *data)
{
    (void)cif;
    (void)ret;
    CHECK(*(void **)args[0] == data);
    frees++;
}

static int hook_events[5][3];
static void hook_handler(ffi_cif *cif, void *ret, void **args, void *data)
{
    (void)cif;
    (void)ret;
    CHECK(*(void **)args[0] == data);
    int event = *(int *)args[1], phase = *(int *)args[2];
    CHECK(event >= EVENT_SWITCH && event <= EVENT_LEAK);
    CHECK(phase == PHASE_BEFORE || phase == PHASE_AFTER);
    CHECK(*(void **)args[3] && *(void **)args[4]);
    hook_events[event][phase]++;
}

static void *make_closure(ffi_cif *cif,
                          void (*handler)(ffi_cif *, void *, void **, void *),
                          void *data)
{
    void *code = NULL;
    ffi_closure *c = ffi_closure_alloc(sizeof(ffi_closure), &code);
    if (!c || !code)
        fail("ffi_closure_alloc failed");
    if (ffi_prep_closure_loc(c, cif, handler, data, code) != FFI_OK)
        fail("ffi_prep_closure_loc failed");
    return code; /* kept for the life of the process */
}

/* ---- loading ---- */

static void *load(const char *expected_dir)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail("dlopen(\"%s\"): %s", soname, dlerror());
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        fail("dlinfo: %s", dlerror());
    char got[PATH_MAX], want[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", lm->l_name);
    if (!realpath(dirname(dir), got) || !realpath(expected_dir, want))
        fail("cannot resolve %s or %s", lm->l_name, expected_dir);
    if (strcmp(got, want) != 0)
        fail("dlopen(\"%s\") loaded %s, not the library in %s", soname,
             lm->l_name, expected_dir);
    printf("loaded %s\n", lm->l_name);

    int missing = 0;
    for (int i = 0; i < nfns; i++) {
        struct fn *fn = &fns[i];
        dlerror();
        fn->addr = dlsym(h, fn->name);
        void *versioned = dlvsym(h, fn->name, fn->node);
        if (!fn->addr) {
            fprintf(stderr, "FAIL: dlsym(%s): not exported\n", fn->name);
            missing++;
        } else if (versioned != fn->addr) {
            fprintf(stderr, "FAIL: dlvsym(%s, %s): %s\n", fn->name, fn->node,
                    versioned ? "another definition" : "no such version");
            missing++;
        } else if (fn->old_node[0]) {
            void *old = dlvsym(h, fn->name, fn->old_node);
            if (!old || old == fn->addr) {
                fprintf(stderr, "FAIL: dlvsym(%s, %s): %s\n", fn->name,
                        fn->old_node,
                        old ? "the same as the default version"
                            : "no such version");
                missing++;
            }
        }
    }
    if (missing)
        fail("%d of the %d manifest functions cannot be resolved", missing,
             nfns);
    printf("resolved %d functions of %s at their version nodes\n", nfns,
           soname);
    return h;
}

/* Which manifest functions the scenario called. */
static int report(void)
{
    int uncalled = 0;
    for (int i = 0; i < nfns; i++) {
        if (!fns[i].calls) {
            printf("note: %s is resolved but not driven by this test\n",
                   fns[i].name);
            uncalled++;
        }
    }
    printf("PASS: %d of %d functions of %s called through libffi\n",
           nfns - uncalled, nfns, soname);
    return 0;
}

/* ---- libgreen-hub.so.1: the double, long and size_t conventions ---- */

enum { ETIMEDOUT_ = -100, ECLOSED_ = -101 };

static ffi_cif task_cif;
static ffi_type *task_args[2];
static int task_runs;

/* int task(void *arg, void **out): waits for the event given as arg and
 * returns its value. */
static void task_handler(ffi_cif *cif, void *ret, void **args, void *data)
{
    (void)cif;
    (void)data;
    void *ev = *(void **)args[0];
    void **out = *(void ***)args[1];
    void *value = NULL;
    task_runs++;
    CHECK(call_ptr("green_thread_current", 0, no_args) != NULL);
    int rc = call_int("green_event_wait", ARGS(P(ev), D(-1.0), P(&value)));
    *out = value;
    *(ffi_sarg *)ret = rc;
}

static int hub_scenario(void)
{
    CHECK(call_int("green_hub_version", 0, no_args) / 10000 == 1);
    CHECK(!strcmp(call_str("green_hub_error_name", ARGS(I(ETIMEDOUT_))),
                  "GREEN_ETIMEDOUT"));
    CHECK(!strcmp(call_str("green_hub_error_name", ARGS(I(EDEAD))),
                  "GREEN_EDEAD"));
    const char *text = call_str("green_hub_strerror", ARGS(I(ECLOSED_)));
    CHECK(text && text[0]);

    /* double in, double out */
    double t0 = call_double("green_hub_now", 0, no_args);
    CALL_RC(OK, "green_hub_sleep", D(0.02));
    double t1 = call_double("green_hub_now", 0, no_args);
    CHECK(t0 > 0 && t1 - t0 >= 0.015 && t1 - t0 < 10);
    CALL_RC(EINVAL, "green_hub_sleep", D(-1.0));
    CHECK(call_size("green_hub_count", 0, no_args) == 0);

    /* size_t in, long out */
    void *sem = NULL;
    CALL_RC(OK, "green_sem_create", P(&sem), Z(2));
    CHECK(call_long("green_sem_count", ARGS(P(sem))) == 2);
    CALL_RC(OK, "green_sem_acquire", P(sem), D(0.0));
    CHECK(call_long("green_sem_count", ARGS(P(sem))) == 1);
    CALL_RC(OK, "green_sem_release", P(sem));
    CHECK(call_long("green_sem_count", ARGS(P(sem))) == 2);
    CALL_RC(OK, "green_sem_destroy", P(sem));

    /* a timeout that expires */
    void *q = NULL, *item = NULL;
    CALL_RC(OK, "green_queue_create", P(&q), Z(1));
    CALL_RC(OK, "green_queue_put", P(q), P("first"), D(0.0));
    CHECK(call_long("green_queue_size", ARGS(P(q))) == 1);
    t0 = call_double("green_hub_now", 0, no_args);
    CALL_RC(ETIMEDOUT_, "green_queue_put", P(q), P("second"), D(0.02));
    t1 = call_double("green_hub_now", 0, no_args);
    CHECK(t1 - t0 >= 0.015);
    CALL_RC(OK, "green_queue_get", P(q), P(&item), D(0.0));
    CHECK(!strcmp(item, "first"));
    CALL_RC(OK, "green_queue_close", P(q));
    CALL_RC(ECLOSED_, "green_queue_get", P(q), P(&item), D(0.0));
    CALL_RC(OK, "green_queue_destroy", P(q));

    /* a green thread whose body is a libffi closure, woken by an event */
    task_args[0] = task_args[1] = &ffi_type_pointer;
    CHECK(ffi_prep_cif(&task_cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint,
                       task_args) == FFI_OK);
    void *task = make_closure(&task_cif, task_handler, NULL);
    void *ev = NULL, *t = NULL, *result = NULL;
    CHECK(call_ptr("green_thread_current", 0, no_args) == NULL);
    CALL_RC(OK, "green_event_create", P(&ev));
    CHECK(call_int("green_event_ready", ARGS(P(ev))) == 0);
    CALL_RC(OK, "green_hub_spawn", P(&t), F(task), P(ev));
    CHECK(call_int("green_thread_done", ARGS(P(t))) == 0);
    CHECK(call_int("green_hub_yield", 0, no_args) == OK);
    CHECK(task_runs == 1);
    CHECK(call_size("green_hub_count", 0, no_args) == 1);
    CALL_RC(OK, "green_event_send", P(ev), P("go"));
    CHECK(call_int("green_event_ready", ARGS(P(ev))) == 1);
    CALL_RC(OK, "green_thread_wait", P(t), D(5.0), P(&result));
    CHECK(result && !strcmp(result, "go"));
    CHECK(call_int("green_thread_done", ARGS(P(t))) == 1);
    CALL_RC(OK, "green_thread_retain", P(t));
    CALL_RC(OK, "green_thread_release", P(t));
    CALL_RC(OK, "green_thread_release", P(t));
    CALL_RC(OK, "green_event_reset", P(ev));
    CHECK(call_int("green_event_ready", ARGS(P(ev))) == 0);
    CALL_RC(OK, "green_event_destroy", P(ev));

    CHECK(call_int("green_hub_destroy", 0, no_args) == OK);
    return report();
}

/* ---- the scenario ---- */

int main(int argc, char **argv)
{
    int resolve_only = argc > 1 && !strcmp(argv[1], "--resolve-only");
    if (argc < 3 + resolve_only) {
        fprintf(stderr, "usage: %s [--resolve-only] <library directory> "
                "<manifest>...\n", argv[0]);
        return 2;
    }
    for (int i = 2 + resolve_only; i < argc; i++)
        read_manifest(argv[i]);
    load(argv[1 + resolve_only]);
    if (resolve_only) {
        printf("PASS: %d functions of %s resolved, with a libffi call "
               "interface each\n", nfns, soname);
        return 0;
    }
    if (!strcmp(soname, "libgreen-hub.so.1"))
        return hub_scenario();
    if (strcmp(soname, "libgreen.so.1") != 0)
        fail("no scenario drives %s: use --resolve-only", soname);

    run_args[0] = run_args[1] = run_args[2] = &ffi_type_pointer;
    free_args[0] = &ffi_type_pointer;
    hook_args[0] = &ffi_type_pointer;
    hook_args[1] = hook_args[2] = &ffi_type_sint;
    hook_args[3] = hook_args[4] = &ffi_type_pointer;
    CHECK(ffi_prep_cif(&run_cif, FFI_DEFAULT_ABI, 3, &ffi_type_sint,
                       run_args) == FFI_OK);
    CHECK(ffi_prep_cif(&free_cif, FFI_DEFAULT_ABI, 1, &ffi_type_void,
                       free_args) == FFI_OK);
    CHECK(ffi_prep_cif(&hook_cif, FFI_DEFAULT_ABI, 5, &ffi_type_void,
                       hook_args) == FFI_OK);
    void *talker = make_closure(&run_cif, run_handler, (void *)TALKER);
    void *relay = make_closure(&run_cif, run_handler, (void *)RELAY);
    void *waiter = make_closure(&run_cif, run_handler, (void *)WAITER);
    void *on_free = make_closure(&free_cif, free_handler, &frees);
    void *hook = make_closure(&hook_cif, hook_handler, hook_events);

    /* version and codes */
    int v = call_int("green_version", 0, no_args);
    const char *vs = call_str("green_version_string", 0, no_args);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", v / 10000, v / 100 % 100,
             v % 100);
    CHECK(v / 10000 == 1);
    CHECK(vs && !strcmp(vs, expect));
    CHECK(!strcmp(call_str("green_error_name", ARGS(I(EDEAD))),
                  "GREEN_EDEAD"));
    CHECK(!strcmp(call_str("green_error_name", ARGS(I(THROWN))),
                  "GREEN_THROWN"));
    const char *text = call_str("green_strerror", ARGS(I(ECYCLE)));
    CHECK(text && text[0]);

    /* main */
    main_g = call_ptr("green_main", 0, no_args);
    CHECK(main_g);
    CHECK(call_ptr("green_current", 0, no_args) == main_g);
    CHECK(call_int("green_is_main", ARGS(P(main_g))) == 1);
    CHECK(call_int("green_state", ARGS(P(main_g))) == STATE_RUNNING);

    /* options, laid out from the manifest, with guard bytes after them:
     * the library must not write past the size the caller knows */
    const struct st *attr_st = find_struct("green_attr");
    size_t attr_size = attr_st->type.size;
    unsigned char *attr = malloc(attr_size + 64);
    CHECK(attr);
    memset(attr, 0xA5, attr_size + 64);
    CALL_RC(OK, "green_attr_init", P(attr));
    for (size_t i = attr_size; i < attr_size + 64; i++)
        if (attr[i] != 0xA5)
            fail("green_attr_init wrote past the %zu bytes of the manifest's "
                 "green_attr (byte %zu)", attr_size, i);
    CHECK(*(size_t *)field(attr_st, attr, "size") == attr_size);
    CHECK(*(size_t *)field(attr_st, attr, "stack_size") == 0);
    CHECK(*(void **)field(attr_st, attr, "userdata") == NULL);
    CHECK(*(void **)field(attr_st, attr, "userdata_free") == NULL);
    *(size_t *)field(attr_st, attr, "stack_size") = 4 * STACK_MIN;

    CALL_RC(OK, "green_hook_add", F(hook), P(hook_events));

    /* create with a closure as the run function */
    void *g = NULL, *g2 = NULL, *g3 = NULL, *r = NULL, *parent = NULL;
    CALL_RC(EINVAL, "green_create", P(&g), F(NULL), P(NULL), P(NULL));
    CALL_RC(OK, "green_create", P(&g), F(talker), P(NULL), P(attr));
    CHECK(g);
    CHECK(call_int("green_state", ARGS(P(g))) == STATE_NEW);
    CALL_RC(OK, "green_set_userdata", P(g), P(&frees), F(on_free));
    CHECK(call_ptr("green_get_userdata", ARGS(P(g))) == &frees);
    CALL_RC(OK, "green_get_parent", P(g), P(&parent));
    CHECK(parent == main_g);

    /* switch in and out */
    CALL_RC(OK, "green_switch", P(g), P("hello"), P(&r));
    CHECK(!strcmp(r, "from child"));
    CHECK(call_int("green_state", ARGS(P(g))) == STATE_SUSPENDED);
    CHECK(hook_events[EVENT_SWITCH][PHASE_BEFORE] == 2);
    CHECK(hook_events[EVENT_SWITCH][PHASE_AFTER] == 2);
    CALL_RC(OK, "green_hook_remove", F(hook), P(hook_events));
    CALL_RC(EINVAL, "green_hook_remove", F(hook), P(hook_events));

    /* throw: the payload arrives with GREEN_THROWN */
    CALL_RC(OK, "green_throw", P(g), P("error payload"), P(&r));
    CHECK(!strcmp(r, "caught"));

    /* parent: g's result starts g2, whose result comes to main */
    CALL_RC(OK, "green_create", P(&g2), F(relay), P(main_g), P(NULL));
    CALL_RC(OK, "green_set_parent", P(g), P(g2));
    CALL_RC(OK, "green_get_parent", P(g), P(&parent));
    CHECK(parent == g2);
    CALL_RC(ECYCLE, "green_set_parent", P(g2), P(g));
    CALL_RC(EMAIN, "green_set_parent", P(main_g), P(g));
    CALL_RC(OK, "green_switch", P(g), P("finish"), P(&r));
    CHECK(!strcmp(r, "relayed result"));
    CHECK(call_int("green_state", ARGS(P(g))) == STATE_DEAD);
    CHECK(call_int("green_state", ARGS(P(g2))) == STATE_DEAD);
    CALL_RC(EDEAD, "green_switch", P(g), P(NULL), P(NULL));

    /* an uncaught throw comes back; throw_exit is an ordinary end */
    int payload = 7;
    CALL_RC(OK, "green_create", P(&g3), F(waiter), P(NULL), P(NULL));
    CALL_RC(OK, "green_switch", P(g3), P(NULL), P(&r));
    CHECK(!strcmp(r, "waiting"));
    CALL_RC(THROWN, "green_throw", P(g3), P(&payload), P(&r));
    CHECK(r == &payload);
    CALL_RC(OK, "green_release", P(g3));
    CALL_RC(OK, "green_create", P(&g3), F(waiter), P(NULL), P(NULL));
    CALL_RC(OK, "green_switch", P(g3), P(NULL), P(&r));
    CALL_RC(OK, "green_throw_exit", P(g3), P(&payload), P(&r));
    CHECK(r == &payload && exits_seen == 1);
    CALL_RC(OK, "green_release", P(g3));

    /* releasing the last reference to a suspended greenlet kills it */
    CALL_RC(OK, "green_create", P(&g3), F(waiter), P(NULL), P(NULL));
    CALL_RC(OK, "green_switch", P(g3), P(NULL), P(&r));
    CALL_RC(OK, "green_release", P(g3));
    CHECK(exits_seen == 2);

    /* stack modes: a copy-mode greenlet asked for through the struct's
     * stack_mode field, then through the thread's default */
    int *mode_field = field(attr_st, attr, "stack_mode");
    CHECK(*mode_field == STACK_MODE_DEFAULT);
    *mode_field = STACK_COPY;
    CALL_RC(OK, "green_create", P(&g3), F(waiter), P(NULL), P(attr));
    CHECK(call_int("green_stack_mode", ARGS(P(g3))) == STACK_COPY);
    CALL_RC(OK, "green_switch", P(g3), P(NULL), P(&r));
    CHECK(!strcmp(r, "waiting"));
    CHECK(call_int("green_stack_mode", ARGS(P(g3))) == STACK_COPY);
    CALL_RC(OK, "green_throw_exit", P(g3), P(&payload), P(&r));
    CHECK(r == &payload && exits_seen == 3);
    CALL_RC(OK, "green_release", P(g3));
    *mode_field = STACK_MODE_DEFAULT;

    CALL_RC(EINVAL, "green_set_stack_mode", I(STACK_AUTO + 100), I(SCOPE_THREAD));
    CALL_RC(OK, "green_set_stack_mode", I(STACK_COPY), I(SCOPE_THREAD));
    CALL_RC(OK, "green_create", P(&g3), F(waiter), P(NULL), P(NULL));
    CHECK(call_int("green_stack_mode", ARGS(P(g3))) == STACK_COPY);
    CALL_RC(OK, "green_set_stack_mode", I(STACK_MODE_DEFAULT), I(SCOPE_THREAD));
    CALL_RC(OK, "green_release", P(g3)); /* never started: just freed */
    CHECK(exits_seen == 3);
    CALL_RC(EINVAL, "green_stack_mode", P(NULL));

    /* references; the destructor closure runs once, at the last release */
    CALL_RC(OK, "green_retain", P(g));
    CALL_RC(OK, "green_release", P(g));
    CHECK(frees == 0);
    CALL_RC(OK, "green_release", P(g));
    CHECK(frees == 1);
    CALL_RC(OK, "green_release", P(g2));
    CALL_RC(EINVAL, "green_release", P(NULL));
    free(attr);

    return report();
}
