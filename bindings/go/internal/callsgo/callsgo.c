/* SPDX-License-Identifier: MIT */
/* A greenlet body that calls Go: forbidden, see callsgo.go. */
#include <green.h>

#include "_cgo_export.h"

int cg_body(green_t *self, void *in, void **out)
{
    (void)self;
    cgGoCallback();
    *out = in;
    return GREEN_OK;
}
