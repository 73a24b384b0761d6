/* SPDX-License-Identifier: MIT */
/*
 * hub.c - the hub as a whole: its version, and its teardown, which goes
 * down the layers (green threads, fds, then the loop itself).
 */
#include "fd.h"
#include "thread.h"

int green_hub_version(void)
{
    return GREEN_HUB_VERSION_MAJOR * 10000 + GREEN_HUB_VERSION_MINOR * 100 +
           GREEN_HUB_VERSION_PATCH;
}

int green_hub_destroy(void)
{
    struct hub *h = green_hub__peek();
    if (!h)
        return GREEN_OK;
    green_t *cur = green_current();
    if (cur == h->g)
        return GREEN_EHUB;
    if (h->current && h->current->g == cur)
        return GREEN_EBUSY;
    int rc = green_hub__threads_stop(h);
    if (rc != GREEN_OK)
        return rc;
    h->destroying = 1;
    green_hub__threads_free(h);
    green_hub__fds_free(h);
    green_hub__free(h);
    return GREEN_OK;
}
