/* SPDX-License-Identifier: MIT */
/*
 * s390x_elf.S - the stack switch for s390x (z/Architecture), ELF ABI.
 *
 * Saved on a switch: the callee-saved r6-r13, the return address r14,
 * the stack pointer r15, f8-f15 and a resume address. The access
 * registers (the thread pointer) and the floating-point control register
 * belong to the thread and are not switched.
 *
 * As every s390x function does, the switch saves r6-r15 in the 160-byte
 * register save area of its caller's frame (at 48), then allocates its
 * own frame, which starts with the save area of its callees. Frame left
 * on a suspended stack, 248 bytes from its saved r15 upward, then the
 * caller's:
 *     0 back chain, 160 resume, 168 f8 ... f15, 232 (a 16-byte buffer),
 *     248 + 48 r6 ... r15
 * Resuming a stack is always `lgr %r15, <sp>; lg %r1, 160(%r15);
 * br %r1`, with a resume code (arch.h) in r3.
 *
 * A function returning a struct (green__switch_prepare, green__begin)
 * takes a pointer to it in r2, its arguments moving up one register.
 */
#include "arch.h"

#define FRAME 248
#define F_RESUME 160
#define F_FPR 168
#define F_BUF 232

/* Saves the registers and allocates the frame, with their CFI (the CFA
 * is the caller's r15 + 160; DWARF numbers: r0-r15 0-15, f8-f15 24-31,
 * in the order f0 f2 f4 f6 f1 f3 f5 f7 f8 ...). */
.macro SAVE_FRAME
    stmg %r6, %r15, 48(%r15)
    .irp n, 6,7,8,9,10,11,12,13,14,15
    .cfi_offset \n, 48 + 8 * (\n - 6) - 160
    .endr
    lgr %r1, %r15
    aghi %r15, -FRAME
    .cfi_adjust_cfa_offset FRAME
    stg %r1, 0(%r15)
    .irp n, 8,9,10,11,12,13,14,15
    std %f\n, F_FPR + 8 * (\n - 8)(%r15)
    .cfi_offset 16 + \n, F_FPR + 8 * (\n - 8) - FRAME - 160
    .endr
.endm

/* Restores the registers, frees the frame and returns. */
.macro RESTORE_FRAME_AND_RETURN
    .irp n, 8,9,10,11,12,13,14,15
    ld %f\n, F_FPR + 8 * (\n - 8)(%r15)
    .endr
    lmg %r6, %r15, FRAME + 48(%r15)
    br %r14
.endm

/* Resumes the stack whose saved r15 is in r15, a resume code in r3. */
.macro RESUME
    lg %r1, F_RESUME(%r15)
    br %r1
.endm

/* With the origin's frame saved: the copy-out function on the origin's
 * stack, the copy-in one on the shared stack below the target's frame,
 * then resume the target slowly. See copy.c. */
.macro RESUME_THROUGH_COPY
    brasl %r14, green__copy_out
    lgr %r15, %r2
    brasl %r14, green__copy_in
    lgr %r15, %r2
    lghi %r3, GREEN_RESUME_SLOW
    RESUME
.endm

/* int green_switch(green_t *target, void *value, void **result) */
GREEN_FUNC green_switch
    SAVE_FRAME
    larl %r1, .Lswitch_resume
    stg %r1, F_RESUME(%r15)
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp),
     * returned in the frame's buffer */
    lgr %r5, %r4
    lgr %r4, %r3
    lgr %r3, %r2
    la %r2, F_BUF(%r15)
    lgr %r6, %r15
    brasl %r14, green__switch_prepare
    lg %r1, F_BUF(%r15)         /* sp */
    lg %r3, F_BUF + 8(%r15)     /* rc */
    ltgr %r1, %r1
    jz .Lswitch_none
    cghi %r3, GREEN_RESUME_COPY
    je .Lswitch_copy
    lgr %r15, %r1               /* r3: GREEN_RESUME_FAST or _SLOW */
    RESUME
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    lgr %r2, %r3
    lmg %r6, %r15, FRAME + 48(%r15)
    br %r14
.Lswitch_resume:
    lghi %r2, 0                 /* GREEN_OK */
    cghi %r3, GREEN_RESUME_FAST
    je 1f
    brasl %r14, green__switch_resumed
    lgfr %r2, %r2
1:
    RESTORE_FRAME_AND_RETURN
GREEN_END green_switch

/* void green__arch_switch(void **save_sp, void *new_sp, int copy) */
GREEN_HIDDEN_FUNC green__arch_switch
    SAVE_FRAME
    larl %r1, .Lplain_resume
    stg %r1, F_RESUME(%r15)
    stg %r15, 0(%r2)
    ltr %r4, %r4
    jnz 1f
    lgr %r15, %r3
    lghi %r3, GREEN_RESUME_SLOW /* a green_switch frame resumes slow */
    RESUME
1:  RESUME_THROUGH_COPY
.Lplain_resume:
    RESTORE_FRAME_AND_RETURN
GREEN_END green__arch_switch

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A frame 176 bytes below the 16-aligned top of [base, base+size) whose
 * resume address, the only word written (16 below the top), is
 * green_arch_entry. Returns its r15.
 */
GREEN_HIDDEN_FUNC green__arch_init_stack
    agr %r2, %r3
    nill %r2, 0xfff0
    aghi %r2, -176
    larl %r1, green_arch_entry
    stg %r1, F_RESUME(%r2)
    br %r14
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack; unwinders end a backtrace here (r14
 * undefined, back chain NULL). Its frame, which a greenlet keeps all its
 * life, is 184 bytes from 200 to 16 below the top: the register save area
 * of its callees (0-159), green__begin's result (160) and the body's
 * `out` (176).
 */
GREEN_LOCAL_FUNC green_arch_entry
    .cfi_undefined 14
    aghi %r15, -24
    .cfi_adjust_cfa_offset 24
    mvghi 0(%r15), 0
    la %r2, 160(%r15)
    brasl %r14, green__begin    /* {self, in} at 160(r15) */
    mvghi 176(%r15), 0          /* out = NULL */
    lg %r2, 160(%r15)
    lg %r3, 168(%r15)
    la %r4, 176(%r15)
    lg %r1, GREEN_G_RUN(%r2)
    basr %r14, %r1              /* r2 = self->run(self, in, &out) */
    lgfr %r2, %r2
    lg %r3, 176(%r15)
    brasl %r14, green__finish   /* (rc, out); never returns */
    .word 0                     /* an invalid instruction */
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
