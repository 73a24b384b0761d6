/* SPDX-License-Identifier: MIT */
/*
 * parent_cycle.c - a suspended child kept on its parent's stack keeps the
 * parent alive: releasing the last outside reference to the parent never
 * kills it, because the child holds a reference to its parent (and the
 * parent's stack holds the child).
 *
 *   cc parent_cycle.c $(PKG_CONFIG_PATH=<build>/libgreen pkg-config --cflags --libs green)
 *   ./a.out
 *
 * prints
 *   without a child: killed on release: yes
 *   with a suspended child: killed on release: no
 *
 * Python's greenlet has the same shape and relies on its cycle collector.
 * The Rust binding parks generators on the main greenlet between steps to
 * avoid the cycle, and documents it for plain greenlets.
 */
#include <green.h>
#include <stdio.h>

static int cleaned;

static int inner_run(green_t *self, void *in, void **out)
{
    green_t *parent;
    green_get_parent(self, &parent);
    green_switch(parent, NULL, NULL);
    *out = in;
    return GREEN_OK;
}

static int outer_run(green_t *self, void *with_child, void **out)
{
    green_t *inner = NULL; /* owned by this stack frame */
    if (with_child) {
        green_create(&inner, inner_run, NULL, NULL); /* parent: self */
        green_switch(inner, NULL, NULL);             /* inner suspended */
    }
    green_switch(green_main(), NULL, NULL); /* outer suspended */
    cleaned = 1; /* reached when the exit error arrives */
    if (inner)
        green_release(inner);
    (void)self;
    *out = NULL;
    return GREEN_EXIT;
}

static void run(const char *label, int with_child)
{
    green_t *outer;
    cleaned = 0;
    green_create(&outer, outer_run, NULL, NULL);
    green_switch(outer, with_child ? (void *)1 : NULL, NULL);
    green_release(outer); /* the only outside reference */
    printf("%s: killed on release: %s\n", label, cleaned ? "yes" : "no");
}

int main(void)
{
    run("without a child", 0);
    run("with a suspended child", 1);
    return 0;
}
