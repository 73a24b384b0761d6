/* SPDX-License-Identifier: MIT */
/* Shared by the hub tests. */
#ifndef HUB_TEST_COMMON_H
#define HUB_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "green_hub.h"

/* Every test ends with no green thread left and the hub torn down. */
static inline int hub_teardown(void **state)
{
    (void)state;
    assert_int_equal(green_hub_destroy(), GREEN_OK);
    assert_int_equal(green_hub_count(), 0);
    return 0;
}

#define HUB_TEST(f) cmocka_unit_test_teardown(f, hub_teardown)

#endif
