/* SPDX-License-Identifier: MIT */
/*
 * interpose.h - the one mmap()/mprotect()/munmap() interposer of the core
 * tests (interpose.c). A test executable linked with it defines these
 * functions, so libgreen's calls resolve to them: they count the mappings
 * made and removed, and fail for the calling thread when told to, with
 * ENOMEM, otherwise forwarding to the C library's.
 */
#ifndef GREEN_TEST_INTERPOSE_H
#define GREEN_TEST_INTERPOSE_H

/* Calls of mmap() and munmap() by any thread since the process started. */
extern _Atomic long mmap_calls, munmap_calls;

/* Set to make the calling thread's mmap() or mprotect() fail. */
extern __thread int fail_mmap, fail_mprotect;

#endif
