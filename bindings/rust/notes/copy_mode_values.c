/* SPDX-License-Identifier: MIT */
/*
 * copy_mode_values.c - a value passed by pointer to the sender's stack is
 * not readable by the receiver when both are copy-mode greenlets: the
 * switch moves the sender's live stack to the heap and the receiver's in.
 *
 *   cc copy_mode_values.c $(PKG_CONFIG_PATH=<build>/libgreen pkg-config --cflags --libs green)
 *   ./a.out
 *
 * prints (the second number is whatever B's stack holds at that address)
 *   guarded -> guarded: read 12345
 *   copy -> copy: read <not 12345>
 *
 * The header says so ("do not hand them to other greenlets"), so this is
 * not a bug. The Rust binding therefore sends plain switch values through
 * a per-thread mailbox (a thread-local slot, whose address never moves)
 * rather than from the sender's stack; only while the mailbox holds a
 * value nobody took yet, or for values over 128 bytes, does it fall back
 * to the sender's stack, and then it must ask green_stack_mode(
 * green_current()) first and box the value from a copy-mode greenlet.
 */
#include <green.h>
#include <stdio.h>

static green_t *b;

static int reader(green_t *self, void *in, void **out)
{
    (void)self;
    *out = (void *)(long)*(volatile long *)in; /* read the sender's local */
    return GREEN_OK;
}

static int sender(green_t *self, void *in, void **out)
{
    (void)self;
    (void)in;
    volatile long local = 12345;
    void *r;
    green_switch(b, (void *)&local, &r); /* b finishes into us (parent) */
    *out = r;
    return GREEN_OK;
}

static void run(const char *label, int mode)
{
    green_attr attr = GREEN_ATTR_INIT;
    attr.stack_mode = mode;
    green_t *a;
    green_create(&a, sender, NULL, &attr);
    green_create(&b, reader, a, &attr);
    void *r;
    green_switch(a, NULL, &r);
    printf("%s: read %ld\n", label, (long)r);
    green_release(b);
    green_release(a);
}

int main(void)
{
    run("guarded -> guarded", GREEN_STACK_GUARDED);
    run("copy -> copy", GREEN_STACK_COPY);
    return 0;
}
