/* SPDX-License-Identifier: MIT */
/*
 * ppc64le_elfv2.S - the stack switch for 64-bit POWER, little-endian,
 * ELFv2 ABI.
 *
 * Saved on a switch: the nonvolatile r14-r31, f14-f31 and v20-v31, the
 * condition register fields CR2-CR4, the TOC pointer r2, the link
 * register, the stack pointer r1 and a resume address. ELFv2 reserves
 * VRSAVE for the system: it is neither read nor written. FPSCR and VSCR
 * belong to the thread and are not switched.
 *
 * Frame left on a suspended stack, 544 bytes from its saved r1 upward
 * (r1 stays 16-aligned, 0(r1) is the back chain, and 8-31 are the
 * header the callees of the frame use):
 *     0 back chain, 32 resume, 40 r2, 48 CR, 56 LR, 64 r14 ... r31,
 *     208 f14 ... f31, 352 v20 ... v31
 * Resuming a stack is always `mr r1, <sp>; ld r12, 32(r1); mtctr r12;
 * bctr`, with a resume code (arch.h) in r4.
 *
 * Every function here computes the TOC from r12 at its global entry, so
 * that the resume addresses and the entry can be reached by bctr.
 */
#include "arch.h"

#define FRAME 544
#define F_RESUME 32
#define F_TOC 40
#define F_CR 48
#define F_LR 56
#define F_GPR 64
#define F_FPR 208
#define F_VR 352

/* The global entry: r2 = the TOC, from the function's address in r12. */
.macro TOC_ENTRY name
0:  addis %r2, %r12, .TOC.-0b@ha
    addi %r2, %r2, .TOC.-0b@l
    .localentry \name, .-\name
.endm

/* Allocates the frame and saves the registers, with their CFI (DWARF
 * numbers: r0-r31 0-31, f0-f31 32-63, lr 65, v0-v31 77-108). */
.macro SAVE_FRAME
    mflr %r0
    stdu %r1, -FRAME(%r1)
    .cfi_adjust_cfa_offset FRAME
    std %r0, F_LR(%r1)
    .cfi_offset 65, F_LR - FRAME
    std %r2, F_TOC(%r1)
    mfcr %r0
    stw %r0, F_CR(%r1)
    .irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    std %r\n, F_GPR + 8 * (\n - 14)(%r1)
    .cfi_offset \n, F_GPR + 8 * (\n - 14) - FRAME
    .endr
    .irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    stfd %f\n, F_FPR + 8 * (\n - 14)(%r1)
    .cfi_offset 32 + \n, F_FPR + 8 * (\n - 14) - FRAME
    .endr
    .irp n, 20,21,22,23,24,25,26,27,28,29,30,31
    li %r0, F_VR + 16 * (\n - 20)
    stvx %v\n, %r1, %r0
    .cfi_offset 77 + \n, F_VR + 16 * (\n - 20) - FRAME
    .endr
.endm

/* Restores the registers, frees the frame and returns. */
.macro RESTORE_FRAME_AND_RETURN
    .irp n, 20,21,22,23,24,25,26,27,28,29,30,31
    li %r0, F_VR + 16 * (\n - 20)
    lvx %v\n, %r1, %r0
    .endr
    .irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    lfd %f\n, F_FPR + 8 * (\n - 14)(%r1)
    .endr
    .irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld %r\n, F_GPR + 8 * (\n - 14)(%r1)
    .endr
    lwz %r0, F_CR(%r1)
    mtcrf 0x38, %r0             /* CR2, CR3, CR4 */
    ld %r2, F_TOC(%r1)
    ld %r0, F_LR(%r1)
    mtlr %r0
    addi %r1, %r1, FRAME
    blr
.endm

/* Stores the address of a label of this file in the frame's resume slot. */
.macro SET_RESUME label
    addis %r11, %r2, \label@toc@ha
    addi %r11, %r11, \label@toc@l
    std %r11, F_RESUME(%r1)
.endm

/* Resumes the stack whose saved r1 is in r1, with a resume code in r4. */
.macro RESUME
    ld %r12, F_RESUME(%r1)
    mtctr %r12
    bctr
.endm

/* With the origin's frame saved: the copy-out function on the origin's
 * stack, the copy-in one on the shared stack below the target's frame,
 * then resume the target slowly. See copy.c. */
.macro RESUME_THROUGH_COPY
    bl green__copy_out
    nop
    mr %r1, %r3
    bl green__copy_in
    nop
    mr %r1, %r3
    li %r4, GREEN_RESUME_SLOW
    RESUME
.endm

/* int green_switch(green_t *target, void *value, void **result) */
GREEN_FUNC green_switch
    TOC_ENTRY green_switch
    SAVE_FRAME
    SET_RESUME .Lswitch_resume
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp) */
    mr %r6, %r1
    bl green__switch_prepare
    nop
    cmpdi %r3, 0
    beq .Lswitch_none
    cmpdi %r4, GREEN_RESUME_COPY
    beq .Lswitch_copy
    mr %r1, %r3                 /* r4: GREEN_RESUME_FAST or _SLOW */
    RESUME
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    mr %r3, %r4
    ld %r0, F_LR(%r1)
    mtlr %r0
    addi %r1, %r1, FRAME
    blr
.Lswitch_resume:
    li %r3, 0                   /* GREEN_OK */
    cmpdi %r4, GREEN_RESUME_FAST
    beq 1f
    bl green__switch_resumed
    nop
    extsw %r3, %r3
1:
    RESTORE_FRAME_AND_RETURN
GREEN_END green_switch

/* void green__arch_switch(void **save_sp, void *new_sp, int copy) */
GREEN_HIDDEN_FUNC green__arch_switch
    TOC_ENTRY green__arch_switch
    SAVE_FRAME
    SET_RESUME .Lplain_resume
    std %r1, 0(%r3)
    cmpwi %r5, 0
    bne 1f
    mr %r1, %r4
    li %r4, GREEN_RESUME_SLOW   /* a green_switch frame resumes slow */
    RESUME
1:  RESUME_THROUGH_COPY
.Lplain_resume:
    RESTORE_FRAME_AND_RETURN
GREEN_END green__arch_switch

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A frame 48 bytes below the 16-aligned top of [base, base+size) whose
 * resume address, the only word written (16 below the top), is
 * green_arch_entry. Returns its r1.
 */
GREEN_HIDDEN_FUNC green__arch_init_stack
    TOC_ENTRY green__arch_init_stack
    add %r3, %r3, %r4
    clrrdi %r3, %r3, 4
    addi %r3, %r3, -48
    addis %r11, %r2, green_arch_entry@toc@ha
    addi %r11, %r11, green_arch_entry@toc@l
    std %r11, F_RESUME(%r3)
    blr
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack; unwinders end a backtrace here (LR
 * undefined, back chain NULL). Its frame, which a greenlet keeps all its
 * life, is 112 bytes from 128 to 16 below the top: the header (0-31), a
 * parameter save area for the body (32-95) and the body's `out` (96).
 */
GREEN_LOCAL_FUNC green_arch_entry
0:  addis %r2, %r12, .TOC.-0b@ha
    addi %r2, %r2, .TOC.-0b@l
    .cfi_undefined 65
    addi %r1, %r1, -80
    .cfi_adjust_cfa_offset 80
    li %r0, 0
    std %r0, 0(%r1)
    bl green__begin             /* r3 = self, r4 = in */
    nop
    li %r0, 0
    std %r0, 96(%r1)            /* out = NULL */
    addi %r5, %r1, 96
    ld %r12, GREEN_G_RUN(%r3)
    mtctr %r12
    std %r2, 24(%r1)
    bctrl                       /* r3 = self->run(self, in, &out) */
    ld %r2, 24(%r1)
    extsw %r3, %r3
    ld %r4, 96(%r1)
    bl green__finish            /* (rc, out); never returns */
    nop
    trap
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
