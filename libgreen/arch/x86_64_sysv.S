/* SPDX-License-Identifier: MIT */
/*
 * x86_64_sysv.S - the stack switch for x86-64, System V ABI, ELF.
 *
 * Saved on a switch: the six callee-saved general registers (rbx, rbp,
 * r12-r15), the stack pointer, and a resume address. Nothing else:
 *  - caller-saved registers are dead across a call;
 *  - the MXCSR and x87 control words are *not* switched: the floating-point
 *    environment belongs to the thread, not to the greenlet. Reloading
 *    MXCSR right after the peer stored it stalls tight ping-pong (see
 *    bench/README.md for the figures measured here);
 *  - no CET shadow stack support.
 * In a ThreadSanitizer build both switches call green__tsan_switch() once
 * the origin's frame is saved, before leaving its stack.
 *
 * Frame left on a suspended stack, from its saved stack pointer upward:
 *     resume, r15, r14, r13, r12, rbx, rbp, return address
 * Resuming a stack is `mov sp, %rsp; pop %rcx; jmp *%rcx`, except in
 * green_switch's fast path: its target waits in a green_switch frame (its
 * sp word's GREEN_API_* bits say so), whose resume slot it skips,
 * returning GREEN_OK to the target's caller itself. The fast path leaves
 * the resume slot of its own frame unwritten (GREEN_API_FAST, arch.h).
 *
 * green_switch, the API's hot path, is entered here so that it returns to
 * its caller with an indirect jump: a `ret` on the other stack would never
 * match the return predictor, which holds this stack's caller. Its common
 * case (both sides wait in green_switch, nothing to run around the switch)
 * is done here, as green__switch_prepare's fast path does it in C; every
 * other case is C (green__switch_prepare, green__switch_resumed in
 * green.c), called and returned from normally.
 */
#include "arch.h"


/* Pushes the six callee-saved registers, with their CFI. */
.macro SAVE_REGS
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
.endm

/* The resume path of every frame: pops the registers and jumps to the
 * return address. */
.macro RESTORE_REGS_AND_RESUME
    popq %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    popq %rcx
    .cfi_adjust_cfa_offset -8
    .cfi_register %rip, %rcx
    jmpq *%rcx
.endm

/* ThreadSanitizer builds: tells it of the switch (green__tsan_switch) once
 * the origin's frame is saved, keeping edx and the register `keep` in rbx
 * and r12, which that frame holds already. Nothing otherwise. */
.macro TSAN_SWITCH keep
#ifdef GREEN_TSAN
    movq \keep, %rbx
    movl %edx, %r12d
    call green__tsan_switch
    movq %rbx, \keep
    movl %r12d, %edx
#endif
.endm

/* With the origin's frame saved: the copy-out function on the origin's
 * stack, the copy-in one on the shared stack below the target's frame,
 * then resume the target (slowly). See copy.c. */
.macro RESUME_THROUGH_COPY
    call green__copy_out
    movq %rax, %rsp
    call green__copy_in
    movq %rax, %rsp
    movl $GREEN_RESUME_SLOW, %edx
    popq %rcx
    jmpq *%rcx
.endm

/* int green_switch(green_t *target, void *value, void **result)
 * Longer than the library's other functions (about 110 lines) on purpose:
 * the fast path, the slow path's calls into C and the resume point share
 * one frame layout and one CFI description, and splitting them into
 * functions would put a call and a return on the fast path. Its fast path
 * (124 bytes) starts a cache line: two lines, not three. */
    .text
    .p2align 6
GREEN_FUNC green_switch
    /*
     * Fast path, the common case of a generator or a scheduler: target
     * waits in green_switch() on this thread, and nothing (hooks, reaping,
     * releases from other threads) has to run around the switch. The same
     * test as green__switch_prepare()'s fast path and the same commit as
     * make_current() in green.c, on the fields of arch.h. Anything else
     * goes through the C below.
     */
#if defined(GREEN_ASAN) || defined(GREEN_TSAN)
    jmp .Lswitch_slow   /* every switch tells the sanitizer: see green.c */
#endif
    testq %rdi, %rdi
    jz .Lswitch_slow
    /* t from the target; the caller owns it if t holds the caller's
     * thread pointer (no GOT load for green__tls) */
    movq GREEN_G_THREAD(%rdi), %r8          /* t */
    /* The target's sp word, loaded ahead of every store of the switch
     * (the origin's is stored at the same offset of another greenlet):
     * the resumed side's loads wait on nothing but it. */
    movq GREEN_G_SP(%rdi), %r11
    movq %fs:0, %rax
    cmpq GREEN_T_TP(%r8), %rax
    jne .Lswitch_slow
    /* it waits in green_switch, GREEN_API_RESUMABLE or _FAST */
    testb $GREEN_API_DIRECT, %r11b
    jz .Lswitch_slow
    /* slow (hooks, orphan, a copy-mode origin) and pending_flag */
    cmpq $0, GREEN_T_SLOW(%r8)
    jne .Lswitch_slow
    /* and it is not the running greenlet, whose sp word is stale */
    movq GREEN_T_CURRENT(%r8), %r9          /* origin */
    cmpq %rdi, %r9
    je .Lswitch_slow
    .cfi_remember_state
    SAVE_REGS
    /* The resume address's slot, left unwritten: only this fast path
     * resumes the frame (GREEN_API_FAST says so), or the C core writes
     * the slot first (green.c, resume_sp) */
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    movq GREEN_G_RESULT_OUT(%rdi), %r10
    movq %rsi, (%r10)                       /* deliver the value */
    /* the origin suspends: its stack pointer and GREEN_API_FAST in one
     * store; no state byte changes (green__state_of(), internal.h) */
    leaq GREEN_API_FAST(%rsp), %r10
    movq %r10, GREEN_G_SP(%r9)
    leaq GREEN_T_DISCARD(%r8), %r10
    testq %rdx, %rdx
    cmovzq %r10, %rdx
    /* mostly the same pointer as last time: a load and a compare cost
     * less than a store (bench/README.md) */
    cmpq %rdx, GREEN_G_RESULT_OUT(%r9)
    je 1f
    movq %rdx, GREEN_G_RESULT_OUT(%r9)
1:  movq %rdi, GREEN_T_CURRENT(%r8)
    /* target's frame is a green_switch frame like ours (its bits say
     * so): skip its resume slot and return GREEN_OK to its caller from
     * here, with the CFI of this frame */
    andq $-(GREEN_API_MASK + 1), %r11
    leaq 8(%r11), %rsp
    .cfi_adjust_cfa_offset -8
    xorl %eax, %eax                         /* GREEN_OK */
    RESTORE_REGS_AND_RESUME
    .cfi_restore_state
.Lswitch_slow:
    SAVE_REGS
    leaq .Lswitch_resume(%rip), %rax
    pushq %rax
    .cfi_adjust_cfa_offset 8
    /* {new sp, rc} = green__switch_prepare(target, value, result, sp) */
    movq %rsp, %rcx
    call green__switch_prepare
    testq %rax, %rax
    jz .Lswitch_none
    TSAN_SWITCH %rax
    cmpl $GREEN_RESUME_COPY, %edx
    je .Lswitch_copy
    movq %rax, %rsp             /* edx: GREEN_RESUME_FAST or _SLOW */
    popq %rcx
    jmpq *%rcx
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    movl %edx, %eax
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq %r15
    .cfi_adjust_cfa_offset -8
    popq %r14
    .cfi_adjust_cfa_offset -8
    popq %r13
    .cfi_adjust_cfa_offset -8
    popq %r12
    .cfi_adjust_cfa_offset -8
    popq %rbx
    .cfi_adjust_cfa_offset -8
    popq %rbp
    .cfi_adjust_cfa_offset -8
    ret
    /* A greenlet suspended in green_switch resumes here, its frame minus
     * the resume address on the stack: the CFA is 56 bytes above. */
    .cfi_adjust_cfa_offset 48
    .cfi_rel_offset %rbp, 40
    .cfi_rel_offset %rbx, 32
    .cfi_rel_offset %r12, 24
    .cfi_rel_offset %r13, 16
    .cfi_rel_offset %r14, 8
    .cfi_rel_offset %r15, 0
.Lswitch_resume:
    xorl %eax, %eax                         /* GREEN_OK */
    cmpl $GREEN_RESUME_FAST, %edx
    je 1f
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    call green__switch_resumed
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
1:
    RESTORE_REGS_AND_RESUME
GREEN_END green_switch

/* Where a green_switch frame resumes, for the C core to write in the
 * resume slot of a frame left by the fast path (GREEN_API_FAST) before it
 * resumes that frame itself. */
GREEN_RESUME_ADDRESS green__switch_resume, .Lswitch_resume

/*
 * void green__arch_switch(void **save_sp, void *new_sp, int copy)
 * The switch used inside the library (throws, finishing greenlets, kills).
 */
GREEN_HIDDEN_FUNC green__arch_switch
    SAVE_REGS
    leaq .Lplain_resume(%rip), %rax
    pushq %rax
    .cfi_adjust_cfa_offset 8
    movq %rsp, (%rdi)
    TSAN_SWITCH %rsi
    testl %edx, %edx
    jnz 1f
    movq %rsi, %rsp
    movl $GREEN_RESUME_SLOW, %edx  /* a green_switch frame resumes slow */
    popq %rcx
    jmpq *%rcx
1:  RESUME_THROUGH_COPY          /* copy != 0 */
    .cfi_adjust_cfa_offset -8
.Lplain_resume:
    RESTORE_REGS_AND_RESUME
GREEN_END green__arch_switch

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A frame at the top of [base, base+size) whose resume address is
 * green_arch_entry, placed so that the entry runs with a 16-byte aligned
 * stack pointer. Returns the frame's stack pointer.
 */
GREEN_HIDDEN_FUNC green__arch_init_stack
    leaq (%rdi,%rsi), %rax
    andq $-16, %rax
    subq $24, %rax
    leaq green_arch_entry(%rip), %rcx
    movq %rcx, (%rax)
    movq $0, 8(%rax)
    ret
GREEN_END green__arch_init_stack

/*
 * First code run on a new stack (16-aligned here). The return address is
 * undefined so that unwinders end a greenlet's backtrace here; rbp is
 * zeroed for the same reason in frame-pointer walks. Its frame, which a
 * greenlet keeps all its life, is the body's `out` and alignment: 16
 * bytes, plus the body's return address.
 */
GREEN_LOCAL_FUNC green_arch_entry
    .cfi_undefined %rip
    xorl %ebp, %ebp
    subq $16, %rsp
    .cfi_adjust_cfa_offset 16
    call green__begin           /* rax = self, rdx = in */
    movq $0, (%rsp)             /* out = NULL */
    movq %rax, %rdi
    movq %rdx, %rsi
    movq %rsp, %rdx
    call *GREEN_G_RUN(%rdi)     /* rc = self->run(self, in, &out) */
    movl %eax, %edi
    movq (%rsp), %rsi
    call green__finish          /* (rc, out); never returns */
    ud2
GREEN_END green_arch_entry

GREEN_NOTE_GNU_STACK
