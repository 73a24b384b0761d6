/* SPDX-License-Identifier: MIT */
/*
 * riscv64_lp64d.S - the stack switch for RV64 with the D extension,
 * LP64D ABI, ELF.
 *
 * Saved on a switch: the callee-saved s0-s11, fs0-fs11, the return
 * address ra, sp, and a resume address. fcsr belongs to the thread and is
 * not switched; gp and tp are the same on every stack of a thread.
 *
 * Frame left on a suspended stack, 208 bytes from its saved sp upward:
 *     resume, ra, s0 ... s11, fs0 ... fs11
 * Resuming a stack is always `mv sp, <sp>; ld t0, 0(sp); jr t0`, with a
 * resume code (arch.h) in a1.
 */
#include "arch.h"

#if !defined(__riscv_float_abi_double)
#error "riscv64_lp64d.S is for the LP64D ABI"
#endif

#define FRAME 208

/* DWARF numbers: x0-x31 0-31, f0-f31 32-63 (s0 = x8, s1 = x9, s2-s11 =
 * x18-x27, fs0 = f8, fs1 = f9, fs2-fs11 = f18-f27). */
.macro SAVE_FRAME
    addi sp, sp, -FRAME
    .cfi_adjust_cfa_offset FRAME
    sd ra, 8(sp)
    .cfi_rel_offset ra, 8
    sd s0, 16(sp)
    sd s1, 24(sp)
    .cfi_rel_offset s0, 16
    .cfi_rel_offset s1, 24
    .irp n, 2,3,4,5,6,7,8,9,10,11
    sd s\n, 16 + 8 * \n(sp)
    .cfi_rel_offset s\n, 16 + 8 * \n
    .endr
    fsd fs0, 112(sp)
    fsd fs1, 120(sp)
    .cfi_rel_offset fs0, 112
    .cfi_rel_offset fs1, 120
    .irp n, 2,3,4,5,6,7,8,9,10,11
    fsd fs\n, 112 + 8 * \n(sp)
    .cfi_rel_offset fs\n, 112 + 8 * \n
    .endr
.endm

.macro RESTORE_FRAME_AND_RETURN
    ld ra, 8(sp)
    ld s0, 16(sp)
    ld s1, 24(sp)
    .irp n, 2,3,4,5,6,7,8,9,10,11
    ld s\n, 16 + 8 * \n(sp)
    .endr
    fld fs0, 112(sp)
    fld fs1, 120(sp)
    .irp n, 2,3,4,5,6,7,8,9,10,11
    fld fs\n, 112 + 8 * \n(sp)
    .endr
    addi sp, sp, FRAME
    ret
.endm

/* Resumes the stack whose saved sp is in sp, a resume code in a1. */
.macro RESUME
    ld t0, 0(sp)
    jr t0
.endm

/* With the origin's frame saved: the copy-out function on the origin's
 * stack, the copy-in one on the shared stack below the target's frame,
 * then resume the target slowly. See copy.c. */
.macro RESUME_THROUGH_COPY
    call green__copy_out
    mv sp, a0
    call green__copy_in
    mv sp, a0
    li a1, GREEN_RESUME_SLOW
    RESUME
.endm

/* int green_switch(green_t *target, void *value, void **result) */
GREEN_FUNC green_switch
    SAVE_FRAME
    lla t0, .Lswitch_resume
    sd t0, 0(sp)
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp) */
    mv a3, sp
    call green__switch_prepare
    beqz a0, .Lswitch_none
    li t0, GREEN_RESUME_COPY
    beq a1, t0, .Lswitch_copy
    mv sp, a0                   /* a1: GREEN_RESUME_FAST or _SLOW */
    RESUME
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    mv a0, a1
    ld ra, 8(sp)
    addi sp, sp, FRAME
    ret
.Lswitch_resume:
    li a0, 0                    /* GREEN_OK */
    li t0, GREEN_RESUME_FAST
    beq a1, t0, 1f
    call green__switch_resumed
1:
    RESTORE_FRAME_AND_RETURN
GREEN_END green_switch

/* void green__arch_switch(void **save_sp, void *new_sp, int copy) */
GREEN_HIDDEN_FUNC green__arch_switch
    SAVE_FRAME
    lla t0, .Lplain_resume
    sd t0, 0(sp)
    sd sp, 0(a0)
    bnez a2, 1f
    mv sp, a1
    li a1, GREEN_RESUME_SLOW    /* a green_switch frame resumes slow */
    RESUME
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
    add a0, a0, a1
    andi a0, a0, -16
    addi a0, a0, -16
    lla t0, green_arch_entry
    sd t0, 0(a0)
    sd zero, 8(a0)
    ret
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack (sp 16 below the top); unwinders end a
 * backtrace here (ra undefined, fp zero). Its frame, which a greenlet
 * keeps all its life, is the body's `out` and alignment: 16 bytes.
 */
GREEN_LOCAL_FUNC green_arch_entry
    .cfi_undefined ra
    mv s0, zero
    addi sp, sp, -16
    .cfi_adjust_cfa_offset 16
    call green__begin           /* a0 = self, a1 = in */
    sd zero, 0(sp)              /* out = NULL */
    ld t0, GREEN_G_RUN(a0)
    mv a2, sp
    jalr t0                     /* a0 = self->run(self, in, &out) */
    ld a1, 0(sp)
    call green__finish          /* (rc, out); never returns */
    unimp
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
