/* SPDX-License-Identifier: MIT */
/*
 * arch.h - the contract between the C core and the machine layer
 * (libgreen/arch/<arch>_<abi>.S, one linked per build).
 *
 * Included by every .S file and, through internal.h, by the C core, which
 * checks every offset against the C structs at compile time (green.c).
 * What the functions of the machine layer do is declared in internal.h;
 * this header holds the numbers both sides must agree on, and the
 * assembler macros every .S file uses.
 *
 * Every machine layer keeps the same shape:
 *  - a suspended stack is one saved stack pointer; the frame there holds
 *    the callee-saved registers of the psABI and a resume address at a
 *    fixed offset of that file's choosing;
 *  - resuming a stack loads its stack pointer, then jumps to its resume
 *    address with a resume code (below) in a register of that file's
 *    choosing;
 *  - green__arch_init_stack() makes a frame whose resume address is the
 *    file's entry (green_arch_entry), which never returns. It writes
 *    nothing more than 32 bytes below the 16-aligned top of the stack:
 *    in copy mode the copy-in function runs right below that (copy.c);
 *  - the entry's frame, kept for the greenlet's whole life, lies below
 *    GREEN_ARCH_TOP_SLACK bytes under the top.
 */
#ifndef GREEN_ARCH_H
#define GREEN_ARCH_H

/* ---- offsets read and written by green_switch()'s fast path ------------ */

/* Every supported ABI has pointers, longs and size_t of one size. */
#if defined(__SIZEOF_POINTER__)
#define GREEN_PTR __SIZEOF_POINTER__
#else
#error "libgreen: the compiler does not say the size of a pointer"
#endif

/* struct green: refs (a long), thread, parent, sp, run */
#define GREEN_G_THREAD (1 * GREEN_PTR)
#define GREEN_G_SP (3 * GREEN_PTR)
#define GREEN_G_RUN (4 * GREEN_PTR) /* shares its slot with result_out */
#define GREEN_G_RESULT_OUT (4 * GREEN_PTR)

/* struct green__tstate: current, slow (unsigned), pending_flag (int),
 * discard, tp */
#define GREEN_T_CURRENT 0
#define GREEN_T_SLOW (1 * GREEN_PTR)
#define GREEN_T_PENDING (1 * GREEN_PTR + 4)
#define GREEN_T_DISCARD (1 * GREEN_PTR + 8)
#define GREEN_T_TP (2 * GREEN_PTR + 8)

/* How a suspended greenlet waits, in the low bits (GREEN_API_MASK) of its
 * saved stack pointer (struct green's sp word; every machine layer saves a
 * stack pointer aligned to 4 bytes at least). 0: not inside
 * green_switch(). Inside it: GREEN_API_RESUMABLE when its frame's resume
 * address is written (the C core's commit), GREEN_API_FAST when the
 * machine layer's fast path left the resume slot unwritten
 * (GREEN_ARCH_FAST_FRAME below), GREEN_API_COPY for a copy-mode greenlet
 * (written; the machine layer's fast path leaves those to the C core, so
 * that it never makes a copy-mode greenlet current: the thread's slow word
 * says when one is, and one load of it decides). The fast path takes a
 * target whose GREEN_API_DIRECT bit is set, and leaves its own frame
 * GREEN_API_FAST in the same store as its stack pointer. Any green_switch()
 * frame resumes at green__switch_resume: the C core writes that into the
 * slot of a GREEN_API_FAST frame before it resumes the frame itself
 * (green.c, resume_sp). The bits of the running greenlet are stale: the
 * fast path does not clear the target's, and tests that the target is not
 * the current greenlet instead. */
#define GREEN_API_MASK 3
#define GREEN_API_DIRECT 1 /* the bit of the two the fast path takes */
#define GREEN_API_RESUMABLE 1
#define GREEN_API_FAST 3
#define GREEN_API_COPY 2

/* The machine layers whose green_switch() has a fast path of its own that
 * leaves GREEN_API_FAST frames: their resume slot is at the saved stack
 * pointer, and they define green__switch_resume. Not the Win64 one, whose
 * green_switch() always goes through the C core. */
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(_WIN32)
#define GREEN_ARCH_FAST_FRAME 1
#endif

/* ---- resume codes --------------------------------------------------------
 * green__switch_prepare() returns one with the stack pointer to resume;
 * the machine layer hands FAST or SLOW to the resumed side. */

/* The value is delivered already: green_switch() returns GREEN_OK on the
 * resumed side without calling C. */
#define GREEN_RESUME_FAST 0
/* The resumed side calls green__switch_resumed() and returns its result
 * (what a switch from green__arch_switch() always gets). */
#define GREEN_RESUME_SLOW 1
/* The machine layer resumes through green__copy_out() and
 * green__copy_in() (copy mode), then SLOW. Never seen by the resumed
 * side. */
#define GREEN_RESUME_COPY 2

/* ---- stack geometry ------------------------------------------------------ */

/* Bytes at the top of a stack that a started greenlet never uses (every
 * green__arch_init_stack() leaves the entry's frame at least this far below
 * the 16-aligned top), so copy mode does not save them. */
#define GREEN_ARCH_TOP_SLACK 16

/* A bound on how far below a local of green__arch_switch()'s caller the
 * machine layer saves the stack pointer (the caller's frame, the switch's
 * own frame). ELFv2 and s390x frames are large: a psABI header or
 * register save area for callees, and on ppc64le 12 vector registers;
 * so is Win64's (ten xmm registers, home space, the TIB's fields). */
#if defined(__powerpc64__) || defined(__s390x__) || defined(_WIN64)
#define GREEN_ARCH_FRAME_MAX 1024
#else
#define GREEN_ARCH_FRAME_MAX 512
#endif

/* ---- assembler macros shared by the .S files ----------------------------- */
#ifdef __ASSEMBLER__

/* An exported function: GREEN_FUNC name ... GREEN_END name */
.macro GREEN_FUNC name
    .text
    .globl \name
    .type \name, %function
    .p2align 4
\name:
    .cfi_startproc
.endm

/* A function of the library only (called from the C core). */
.macro GREEN_HIDDEN_FUNC name
    .text
    .globl \name
    .hidden \name
    .type \name, %function
    .p2align 4
\name:
    .cfi_startproc
.endm

/* A function of this file only (reached by a resume address). */
.macro GREEN_LOCAL_FUNC name
    .text
    .type \name, %function
    .p2align 4
\name:
    .cfi_startproc
.endm

.macro GREEN_END name
    .cfi_endproc
    .size \name, .-\name
.endm

/* A read-only word of the library holding a code address of the file:
 * GREEN_RESUME_ADDRESS symbol, label */
.macro GREEN_RESUME_ADDRESS name, label
    .section .data.rel.ro, "aw"
    .globl \name
    .hidden \name
    .type \name, %object
    .p2align 3
\name:
    .quad \label
    .size \name, 8
    .text
.endm

/* Last in every .S file: the stack stays non-executable. */
.macro GREEN_NOTE_GNU_STACK
    .section .note.GNU-stack, "", %progbits
.endm

#endif /* __ASSEMBLER__ */

#endif /* GREEN_ARCH_H */
