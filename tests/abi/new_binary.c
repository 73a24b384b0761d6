/* SPDX-License-Identifier: MIT */
/*
 * new_binary.c - a program that uses a function added in 1.1
 * (green_stack_saved at node GREEN_1.1). Against this build it runs and
 * prints "ok"; against a library that stops at GREEN_1.0 the dynamic
 * loader must refuse to start it, naming the missing node, instead of
 * letting it crash at the first call (abi/README.md).
 */
#include <stdio.h>

#include "green.h"

int main(void)
{
    if (green_version() < 10100) {
        printf("loaded libgreen %d, older than this program's 1.1\n",
               green_version());
        return 1;
    }
    if (green_stack_saved(green_main()) != 0 ||
        green_stack_saved(NULL) != GREEN_EINVAL) {
        printf("green_stack_saved: unexpected answers\n");
        return 1;
    }
    printf("ok\n");
    return 0;
}
