/* SPDX-License-Identifier: MIT */
/*
 * i386_sysv.S - the stack switch for i386, System V i386 ABI, ELF.
 *
 * Saved on a switch: the callee-saved ebx, esi, edi, ebp, the stack
 * pointer and a resume address. The x87 control word and MXCSR are not
 * switched, as on x86-64: the floating-point environment belongs to the
 * thread. No CET shadow stack support.
 *
 * Frame left on a suspended stack, from its saved stack pointer upward:
 *     resume, edi, esi, ebx, ebp, return address
 * Resuming a stack is always `mov sp, %esp; pop %ecx; jmp *%ecx`, with a
 * resume code (arch.h) in edx.
 *
 * The C functions called here follow the i386 Linux conventions: the
 * stack is 16-byte aligned at every call, and a function returning a
 * struct (green__switch_prepare, green__begin) takes a hidden pointer to
 * it as its first stack argument and pops that pointer on return.
 */
#include "arch.h"

/* Pushes the four callee-saved registers, with their CFI. */
.macro SAVE_REGS
    pushl %ebp
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset %ebp, 0
    pushl %ebx
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset %ebx, 0
    pushl %esi
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset %esi, 0
    pushl %edi
    .cfi_adjust_cfa_offset 4
    .cfi_rel_offset %edi, 0
.endm

/* The resume path of every frame: pops the registers and jumps to the
 * return address. */
.macro RESTORE_REGS_AND_RESUME
    popl %edi
    .cfi_adjust_cfa_offset -4
    .cfi_restore %edi
    popl %esi
    .cfi_adjust_cfa_offset -4
    .cfi_restore %esi
    popl %ebx
    .cfi_adjust_cfa_offset -4
    .cfi_restore %ebx
    popl %ebp
    .cfi_adjust_cfa_offset -4
    .cfi_restore %ebp
    popl %ecx
    .cfi_adjust_cfa_offset -4
    .cfi_register %eip, %ecx
    jmp *%ecx
.endm

/* With the origin's frame saved (esp at its resume address, 8 mod 16):
 * the copy-out function on the origin's stack, the copy-in one on the
 * shared stack below the target's frame, then resume the target slowly.
 * See copy.c. */
.macro RESUME_THROUGH_COPY
    subl $8, %esp
    call green__copy_out
    movl %eax, %esp
    call green__copy_in
    movl %eax, %esp
    movl $GREEN_RESUME_SLOW, %edx
    popl %ecx
    jmp *%ecx
.endm

/* The address of a label of this file in a register, position-independent:
 * a call pushes the address of the next instruction. */
.macro LOAD_LABEL label, reg
    call 9f
9:  popl \reg
    addl $(\label - 9b), \reg
.endm

/* int green_switch(green_t *target, void *value, void **result) */
GREEN_FUNC green_switch
    SAVE_REGS
    LOAD_LABEL .Lswitch_resume, %eax
    pushl %eax
    .cfi_adjust_cfa_offset 4
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp),
     * returned in a buffer below the frame; ebx keeps the frame. */
    movl %esp, %ebx
    subl $40, %esp              /* 16-aligned at the call */
    leal 24(%esp), %eax
    movl %eax, (%esp)           /* the hidden pointer */
    movl 24(%ebx), %eax         /* target (above 5 saved words, return) */
    movl %eax, 4(%esp)
    movl 28(%ebx), %eax         /* value */
    movl %eax, 8(%esp)
    movl 32(%ebx), %eax         /* result */
    movl %eax, 12(%esp)
    movl %ebx, 16(%esp)         /* the frame's stack pointer */
    call green__switch_prepare  /* pops the hidden pointer, eax = it */
    movl 4(%eax), %edx          /* rc */
    movl (%eax), %eax           /* sp */
    movl %ebx, %esp
    testl %eax, %eax
    jz .Lswitch_none
    cmpl $GREEN_RESUME_COPY, %edx
    je .Lswitch_copy
    movl %eax, %esp             /* edx: GREEN_RESUME_FAST or _SLOW */
    popl %ecx
    jmp *%ecx
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    movl %edx, %eax
    movl 12(%esp), %ebx         /* the only register the C changed */
    addl $20, %esp
    .cfi_remember_state
    .cfi_adjust_cfa_offset -20
    .cfi_restore %ebx
    .cfi_restore %esi
    .cfi_restore %edi
    .cfi_restore %ebp
    ret
    .cfi_restore_state
.Lswitch_resume:
    /* A greenlet suspended in green_switch resumes here, its frame minus
     * the resume address on the stack (esp 12 mod 16). */
    .cfi_adjust_cfa_offset -4
    xorl %eax, %eax             /* GREEN_OK */
    cmpl $GREEN_RESUME_FAST, %edx
    je 1f
    subl $12, %esp
    .cfi_adjust_cfa_offset 12
    call green__switch_resumed
    addl $12, %esp
    .cfi_adjust_cfa_offset -12
1:
    RESTORE_REGS_AND_RESUME
GREEN_END green_switch

/*
 * void green__arch_switch(void **save_sp, void *new_sp, int copy)
 * The switch used inside the library (throws, finishing greenlets, kills).
 */
GREEN_HIDDEN_FUNC green__arch_switch
    SAVE_REGS
    LOAD_LABEL .Lplain_resume, %eax
    pushl %eax
    .cfi_adjust_cfa_offset 4
    movl 24(%esp), %eax         /* save_sp */
    movl %esp, (%eax)
    movl 28(%esp), %eax         /* new_sp */
    cmpl $0, 32(%esp)           /* copy */
    jne 1f
    movl %eax, %esp
    movl $GREEN_RESUME_SLOW, %edx  /* a green_switch frame resumes slow */
    popl %ecx
    jmp *%ecx
1:  RESUME_THROUGH_COPY
.Lplain_resume:
    .cfi_adjust_cfa_offset -4
    RESTORE_REGS_AND_RESUME
GREEN_END green__arch_switch

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A frame 16 bytes below the 16-aligned top of [base, base+size) whose
 * resume address is green_arch_entry. Returns its stack pointer.
 */
GREEN_HIDDEN_FUNC green__arch_init_stack
    movl 4(%esp), %eax
    addl 8(%esp), %eax
    andl $-16, %eax
    subl $16, %eax
    LOAD_LABEL green_arch_entry, %ecx
    movl %ecx, (%eax)
    movl $0, 4(%eax)
    ret
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack, with esp 12 bytes below the top (4 mod
 * 16). The return address is undefined so that unwinders end a greenlet's
 * backtrace here; ebp is zeroed for the same reason in frame-pointer
 * walks. Its frame, which a greenlet keeps all its life, holds the
 * arguments of the calls, green__begin's result and the body's `out`:
 * 36 bytes, from 48 to 12 below the top.
 */
GREEN_LOCAL_FUNC green_arch_entry
    .cfi_undefined %eip
    xorl %ebp, %ebp
    subl $36, %esp              /* 16-aligned */
    .cfi_adjust_cfa_offset 36
    movl %esp, %esi
    leal 16(%esi), %eax
    movl %eax, (%esp)
    call green__begin           /* {self, in} at 16(esi); pops 4 */
    movl %esi, %esp
    movl $0, 24(%esi)           /* out = NULL */
    movl 16(%esi), %eax         /* self */
    movl %eax, (%esp)
    movl 20(%esi), %ecx         /* in */
    movl %ecx, 4(%esp)
    leal 24(%esi), %ecx
    movl %ecx, 8(%esp)
    call *GREEN_G_RUN(%eax)     /* rc = self->run(self, in, &out) */
    movl %esi, %esp
    movl %eax, (%esp)
    movl 24(%esi), %eax
    movl %eax, 4(%esp)
    call green__finish          /* (rc, out); never returns */
    ud2
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
