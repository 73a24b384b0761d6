/* SPDX-License-Identifier: MIT */
/*
 * stub_1_0.c - a stand-in for a libgreen 1.0 library: the SONAME
 * libgreen.so.1 with every 1.0 function at node GREEN_1.0 and no later
 * node (stub_1_0.map). A program linked against it records the 1.0
 * versions, as one built on a 1.0 system does (abi_old_binary, run against
 * the real library); a program using a later function refuses to load on
 * it (abi_new_binary_on_1_0). Only green_version() is ever called here.
 */
int green_version(void);

int green_version(void) { return 10000; }

/* The other 1.0 names, for the linker only: never called. */
#define STUB(name)                                                            \
    void name(void);                                                          \
    void name(void) {}
STUB(green_version_string)
STUB(green_error_name)
STUB(green_strerror)
STUB(green_attr_init)
STUB(green_create)
STUB(green_set_stack_mode)
STUB(green_stack_mode)
STUB(green_retain)
STUB(green_release)
STUB(green_current)
STUB(green_main)
STUB(green_switch)
STUB(green_throw)
STUB(green_throw_exit)
STUB(green_get_parent)
STUB(green_set_parent)
STUB(green_state)
STUB(green_is_main)
STUB(green_get_userdata)
STUB(green_set_userdata)
STUB(green_hook_add)
STUB(green_hook_remove)
