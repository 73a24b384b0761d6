/* SPDX-License-Identifier: MIT */
/*
 * arm_aapcs.S - the stack switch for 32-bit Arm (ARMv7), AAPCS with the
 * hard-float variant (armhf), ELF. Written in the A32 instruction set;
 * every indirect branch is a bx or blx, so Thumb callers and bodies work.
 *
 * Saved on a switch: the callee-saved r4-r11, the link register, d8-d15,
 * sp, and a resume address (r12 is pushed too, to keep the frame 8-byte
 * aligned). FPSCR is not switched: it belongs to the thread.
 *
 * Frame left on a suspended stack, 112 bytes from its saved sp upward:
 *     resume, (pad), d8 ... d15, r4 ... r11, r12, lr
 * Resuming a stack is always `mov sp, <sp>; ldr r12, [sp]; bx r12`, with a
 * resume code (arch.h) in r1.
 *
 * A function returning a struct of more than 4 bytes (green__switch_prepare,
 * green__begin) takes a pointer to it in r0, its arguments moving up one
 * register.
 */
#include "arch.h"

#if !defined(__ARM_PCS_VFP)
#error "arm_aapcs.S is for the hard-float ABI (armhf)"
#endif

    .syntax unified
    .arm
    .fpu vfpv3-d16
    .cfi_sections .debug_frame

.macro SAVE_FRAME
    push {r4-r12, lr}
    .cfi_adjust_cfa_offset 40
    .cfi_rel_offset r4, 0
    .cfi_rel_offset r5, 4
    .cfi_rel_offset r6, 8
    .cfi_rel_offset r7, 12
    .cfi_rel_offset r8, 16
    .cfi_rel_offset r9, 20
    .cfi_rel_offset r10, 24
    .cfi_rel_offset r11, 28
    .cfi_rel_offset lr, 36
    vpush {d8-d15}
    .cfi_adjust_cfa_offset 64
    .cfi_rel_offset d8, 0
    .cfi_rel_offset d9, 8
    .cfi_rel_offset d10, 16
    .cfi_rel_offset d11, 24
    .cfi_rel_offset d12, 32
    .cfi_rel_offset d13, 40
    .cfi_rel_offset d14, 48
    .cfi_rel_offset d15, 56
    sub sp, sp, #8
    .cfi_adjust_cfa_offset 8
.endm

.macro RESTORE_FRAME_AND_RETURN
    add sp, sp, #8
    vpop {d8-d15}
    pop {r4-r12, lr}
    bx lr
.endm

/* With the origin's frame saved: the copy-out function on the origin's
 * stack, the copy-in one on the shared stack below the target's frame,
 * then resume the target slowly. See copy.c. */
.macro RESUME_THROUGH_COPY
    bl green__copy_out
    mov sp, r0
    bl green__copy_in
    mov sp, r0
    mov r1, #GREEN_RESUME_SLOW
    ldr r12, [sp]
    bx r12
.endm

/* int green_switch(green_t *target, void *value, void **result) */
GREEN_FUNC green_switch
    SAVE_FRAME
    adr r12, .Lswitch_resume
    str r12, [sp]
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp):
     * the result in 8 bytes below the frame, sp as the stack argument */
    mov r12, sp
    sub sp, sp, #16
    str r12, [sp]
    mov r3, r2
    mov r2, r1
    mov r1, r0
    add r0, sp, #8
    bl green__switch_prepare
    ldr r0, [sp, #8]            /* sp */
    ldr r1, [sp, #12]           /* rc */
    add sp, sp, #16
    cmp r0, #0
    beq .Lswitch_none
    cmp r1, #GREEN_RESUME_COPY
    beq .Lswitch_copy
    mov sp, r0                  /* r1: GREEN_RESUME_FAST or _SLOW */
    ldr r12, [sp]
    bx r12
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    mov r0, r1
    RESTORE_FRAME_AND_RETURN
.Lswitch_resume:
    mov r0, #0                  /* GREEN_OK */
    cmp r1, #GREEN_RESUME_FAST
    beq 1f
    bl green__switch_resumed
1:
    RESTORE_FRAME_AND_RETURN
GREEN_END green_switch

/* void green__arch_switch(void **save_sp, void *new_sp, int copy) */
GREEN_HIDDEN_FUNC green__arch_switch
    SAVE_FRAME
    adr r12, .Lplain_resume
    str r12, [sp]
    str sp, [r0]
    cmp r2, #0
    bne 1f
    mov sp, r1
    mov r1, #GREEN_RESUME_SLOW  /* a green_switch frame resumes slow */
    ldr r12, [sp]
    bx r12
1:  RESUME_THROUGH_COPY
.Lplain_resume:
    RESTORE_FRAME_AND_RETURN
GREEN_END green__arch_switch

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A frame 16 bytes below the 16-aligned top of [base, base+size) whose
 * resume address is green_arch_entry. Returns its sp.
 */
GREEN_HIDDEN_FUNC green__arch_init_stack
    add r0, r0, r1
    bic r0, r0, #15
    sub r0, r0, #16
    adr r12, green_arch_entry
    mov r1, #0
    str r12, [r0]
    str r1, [r0, #4]
    bx lr
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack (sp 16 below the top); unwinders end a
 * backtrace here (lr undefined, fp zero). Its frame, which a greenlet
 * keeps all its life, holds green__begin's result and the body's `out`:
 * 16 bytes, from 32 to 16 below the top.
 */
GREEN_LOCAL_FUNC green_arch_entry
    .cfi_undefined lr
    mov r11, #0
    sub sp, sp, #16
    .cfi_adjust_cfa_offset 16
    mov r0, sp
    bl green__begin             /* {self, in} at sp */
    mov r3, #0
    str r3, [sp, #8]            /* out = NULL */
    ldr r0, [sp]
    ldr r1, [sp, #4]
    add r2, sp, #8
    ldr r12, [r0, #GREEN_G_RUN]
    blx r12                     /* r0 = self->run(self, in, &out) */
    ldr r1, [sp, #8]
    bl green__finish            /* (rc, out); never returns */
    udf #0
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
