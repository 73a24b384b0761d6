/* SPDX-License-Identifier: MIT */
/*
 * stub_1_0.c - a stand-in for a libgreen 1.0 library, for the test that a
 * program using a 1.1 function refuses to load on 1.0: the SONAME
 * libgreen.so.1 with the GREEN_1.0 node and none after it (stub_1_0.map).
 */
int green_version(void);

int green_version(void) { return 10000; }
