/* SPDX-License-Identifier: MIT */
/*
 * errors.c - the hub's return codes: one table gives their names and
 * messages; the codes of green.h are named by libgreen itself.
 */
#include "green_hub.h"

/* X(code without GREEN_, message), in the order of their values from
 * GREEN_ETIMEDOUT (-100) down. A code is appended here when it is
 * appended to green_hub.h. */
#define GREEN_HUB__ERRNO_MAP(X)                                            \
    X(ETIMEDOUT, "the timeout expired")                                    \
    X(ECLOSED, "the descriptor or queue was closed")                       \
    X(EDEADLK, "nothing is left that could wake the caller")               \
    X(EHUB, "blocking call made on the hub greenlet")                      \
    X(ESYS, "a system call failed (see errno)")                            \
    X(EKILLED, "the calling green thread was killed")

/* Each code's place in the table is its distance from GREEN_ETIMEDOUT. */
#define HUB_INDEX(code, text) HUB_INDEX_##code,
enum { GREEN_HUB__ERRNO_MAP(HUB_INDEX) HUB_NCODES };
#define HUB_CHECK(code, text)                                              \
    _Static_assert(GREEN_##code == GREEN_ETIMEDOUT - HUB_INDEX_##code,     \
                   "GREEN_" #code " out of order in the error table");
GREEN_HUB__ERRNO_MAP(HUB_CHECK)

static const char *const names[HUB_NCODES] = {
#define HUB_NAME(code, text) "GREEN_" #code,
    GREEN_HUB__ERRNO_MAP(HUB_NAME)};

static const char *const texts[HUB_NCODES] = {
#define HUB_TEXT(code, text) text,
    GREEN_HUB__ERRNO_MAP(HUB_TEXT)};

/* The table index of a hub code, or -1 for any other code. */
static int index_of(int code)
{
    int i = GREEN_ETIMEDOUT - code;
    return i >= 0 && i < HUB_NCODES ? i : -1;
}

const char *green_hub_error_name(int code)
{
    int i = index_of(code);
    return i >= 0 ? names[i] : green_error_name(code);
}

const char *green_hub_strerror(int code)
{
    int i = index_of(code);
    return i >= 0 ? texts[i] : green_strerror(code);
}
