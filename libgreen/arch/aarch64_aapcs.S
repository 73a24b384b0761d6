/* SPDX-License-Identifier: MIT */
/*
 * aarch64_aapcs.S - the stack switch for AArch64, AAPCS64, ELF.
 *
 * Saved on a switch: the callee-saved x19-x28, the frame pointer x29, the
 * link register x30, the low halves d8-d15 of v8-v15, sp, and a resume
 * address. The FPCR/FPSR control and status registers are not switched:
 * they belong to the thread, not to the greenlet. No BTI landing pads or
 * pointer authentication.
 *
 * Frame left on a suspended stack, 176 bytes from its saved sp upward:
 *     resume, (pad), x19 ... x28, x29, x30, d8 ... d15
 * Resuming a stack is `mov sp, <sp>; ldr x9, [sp]; br x9`, with a resume
 * code (arch.h) in x1, except in green_switch's fast path: its target
 * waits in a green_switch frame (its sp word's GREEN_API_* bits say so),
 * which it restores, returning GREEN_OK to the target's caller itself;
 * the fast path leaves its own frame's resume address unwritten
 * (GREEN_API_FAST).
 *
 * green_switch, the API's hot path, is entered here so that it returns to
 * its caller with `br x30` rather than `ret`: the return predictor holds
 * the other stack's caller. Its common case (both sides wait in
 * green_switch, nothing to run around the switch) is done here, as
 * green__switch_prepare's fast path does it in C; every other case is C
 * (green__switch_prepare, green__switch_resumed in green.c), called and
 * returned from normally.
 */
#include "arch.h"

#if defined(__AARCH64EB__)
#error "aarch64_aapcs.S stores two adjacent byte fields as one little-endian halfword"
#endif

.macro SAVE_FRAME
    sub sp, sp, #176
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    stp x29, x30, [sp, #96]
    stp d8, d9, [sp, #112]
    stp d10, d11, [sp, #128]
    stp d12, d13, [sp, #144]
    stp d14, d15, [sp, #160]
    .cfi_def_cfa_offset 176
    .cfi_offset x19, -160
    .cfi_offset x20, -152
    .cfi_offset x21, -144
    .cfi_offset x22, -136
    .cfi_offset x23, -128
    .cfi_offset x24, -120
    .cfi_offset x25, -112
    .cfi_offset x26, -104
    .cfi_offset x27, -96
    .cfi_offset x28, -88
    .cfi_offset x29, -80
    .cfi_offset x30, -72
    .cfi_offset d8, -64
    .cfi_offset d9, -56
    .cfi_offset d10, -48
    .cfi_offset d11, -40
    .cfi_offset d12, -32
    .cfi_offset d13, -24
    .cfi_offset d14, -16
    .cfi_offset d15, -8
.endm

.macro RESTORE_FRAME
    ldp x19, x20, [sp, #16]
    ldp x21, x22, [sp, #32]
    ldp x23, x24, [sp, #48]
    ldp x25, x26, [sp, #64]
    ldp x27, x28, [sp, #80]
    ldp x29, x30, [sp, #96]
    ldp d8, d9, [sp, #112]
    ldp d10, d11, [sp, #128]
    ldp d12, d13, [sp, #144]
    ldp d14, d15, [sp, #160]
    add sp, sp, #176
.endm

/* With the origin's frame saved: the copy-out function on the origin's
 * stack, the copy-in one on the shared stack below the target's frame,
 * then resume the target (slowly). See copy.c. */
.macro RESUME_THROUGH_COPY
    bl green__copy_out
    mov sp, x0
    bl green__copy_in
    mov sp, x0
    mov x1, #GREEN_RESUME_SLOW
    ldr x9, [sp]
    br x9
.endm

/* int green_switch(green_t *target, void *value, void **result) */
GREEN_FUNC green_switch
    /*
     * Fast path, the common case of a generator or a scheduler: target
     * waits in green_switch() on this thread, and nothing (hooks, reaping,
     * releases from other threads) has to run around the switch. The same
     * test as green__switch_prepare()'s fast path and the same commit as
     * make_current() in green.c, on the fields of arch.h. Anything else
     * goes through the C below.
     */
#if defined(GREEN_ASAN)
    b .Lswitch_slow             /* every switch tells the sanitizer */
#endif
    cbz x0, .Lswitch_slow
    /* t from the target; the caller owns it if t holds the caller's
     * thread pointer (no GOT load for green__tls) */
    ldr x10, [x0, #GREEN_G_THREAD]          /* t */
    mrs x9, tpidr_el0
    ldr x11, [x10, #GREEN_T_TP]
    cmp x11, x9
    b.ne .Lswitch_slow
    /* its sp word: it waits in green_switch, GREEN_API_RESUMABLE or
     * _FAST; loaded ahead of the stores */
    ldr x13, [x0, #GREEN_G_SP]
    tbz x13, #0, .Lswitch_slow              /* GREEN_API_DIRECT */
    /* slow (hooks, orphan, a copy-mode origin) and pending_flag */
    ldr x11, [x10, #GREEN_T_SLOW]
    cbnz x11, .Lswitch_slow
    /* and it is not the running greenlet, whose sp word is stale */
    ldr x12, [x10, #GREEN_T_CURRENT]        /* origin */
    cmp x12, x0
    b.eq .Lswitch_slow
    .cfi_remember_state
    /* The resume address's slot at sp is left unwritten: only this fast
     * path resumes the frame (GREEN_API_FAST says so), or the C core
     * writes the slot first (green.c, resume_sp) */
    SAVE_FRAME
    ldr x11, [x0, #GREEN_G_RESULT_OUT]
    str x1, [x11]                           /* deliver the value */
    /* the origin suspends: its stack pointer and GREEN_API_FAST in one
     * store; no state byte changes (green__state_of(), internal.h) */
    mov x9, sp
    orr x9, x9, #GREEN_API_FAST
    str x9, [x12, #GREEN_G_SP]
    add x11, x10, #GREEN_T_DISCARD
    cmp x2, #0
    csel x2, x11, x2, eq
    ldr x11, [x12, #GREEN_G_RESULT_OUT]     /* mostly unchanged: a load */
    cmp x11, x2                             /* costs less than a store */
    b.eq 1f
    str x2, [x12, #GREEN_G_RESULT_OUT]
1:  str x0, [x10, #GREEN_T_CURRENT]
    /* target's frame is a green_switch frame like ours (its bits say
     * so): return GREEN_OK to its caller from here, with the CFI of this
     * frame */
    and x13, x13, #~GREEN_API_MASK
    mov sp, x13
    mov x0, #0                              /* GREEN_OK */
    RESTORE_FRAME
    br x30
    .cfi_restore_state
.Lswitch_slow:
    SAVE_FRAME
    adr x9, .Lswitch_resume
    str x9, [sp]
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp) */
    mov x3, sp
    bl green__switch_prepare
    cbz x0, .Lswitch_none
    cmp x1, #GREEN_RESUME_COPY
    b.eq .Lswitch_copy
    mov sp, x0                  /* x1: GREEN_RESUME_FAST or _SLOW */
    ldr x9, [sp]
    br x9
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    mov x0, x1
    ldr x30, [sp, #104]
    add sp, sp, #176
    ret
.Lswitch_resume:
    mov x0, #0                  /* GREEN_OK */
    cmp x1, #GREEN_RESUME_FAST
    b.eq 1f
    bl green__switch_resumed
1:
    RESTORE_FRAME
    br x30
GREEN_END green_switch

/* Where a green_switch frame resumes, for the C core to write in the
 * resume slot of a frame left by the fast path (GREEN_API_FAST) before it
 * resumes that frame itself. */
GREEN_RESUME_ADDRESS green__switch_resume, .Lswitch_resume

/* void green__arch_switch(void **save_sp, void *new_sp, int copy) */
GREEN_HIDDEN_FUNC green__arch_switch
    SAVE_FRAME
    adr x9, .Lplain_resume
    str x9, [sp]
    mov x9, sp
    str x9, [x0]
    cbnz w2, 1f
    mov sp, x1
    mov x1, #GREEN_RESUME_SLOW  /* a green_switch frame resumes slow */
    ldr x9, [sp]
    br x9
1:  RESUME_THROUGH_COPY          /* copy != 0 */
.Lplain_resume:
    RESTORE_FRAME
    br x30
GREEN_END green__arch_switch

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A 16-aligned frame at the top of [base, base+size) whose resume address
 * is green_arch_entry. Returns its sp.
 */
GREEN_HIDDEN_FUNC green__arch_init_stack
    add x0, x0, x1
    and x0, x0, #~15
    sub x0, x0, #16
    adr x9, green_arch_entry
    stp x9, xzr, [x0]
    ret
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack; unwinders end a backtrace here. Its
 * frame, which a greenlet keeps all its life, is the body's `out` and
 * alignment: 16 bytes.
 */
GREEN_LOCAL_FUNC green_arch_entry
    .cfi_undefined x30
    mov x29, xzr
    sub sp, sp, #16
    .cfi_adjust_cfa_offset 16
    bl green__begin             /* x0 = self, x1 = in */
    str xzr, [sp]               /* out = NULL */
    ldr x9, [x0, #GREEN_G_RUN]
    mov x2, sp
    blr x9                      /* w0 = self->run(self, in, &out) */
    ldr x1, [sp]
    bl green__finish            /* (rc, out); never returns */
    brk #0
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
