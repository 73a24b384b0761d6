/* SPDX-License-Identifier: MIT */
/*
 * x86_64_win64.S - the stack switch for x86-64, Windows x64 ABI, PE/COFF
 * (MinGW-w64's GNU assembler).
 *
 * Saved on a switch: the callee-saved registers of the Windows x64 ABI
 * (rbx, rbp, rdi, rsi, r12-r15, xmm6-xmm15), and four fields of the
 * thread information block (TIB, at %gs:0) that describe the running
 * stack:
 *  - StackBase (gs:0x08) and StackLimit (gs:0x10): the exception
 *    dispatcher refuses a frame outside them, and stack probes
 *    (__chkstk) touch the pages below StackLimit one by one;
 *  - DeallocationStack (gs:0x1478): the bottom of the stack's reservation,
 *    from which the system grows the stack through its guard page and
 *    decides when to raise EXCEPTION_STACK_OVERFLOW;
 *  - ExceptionList (gs:0x00): unused by Windows x64 itself, but Wine
 *    keeps its own frame-based handlers there, on the stack, and calls
 *    those whose address the dispatcher's walk passes: a greenlet whose
 *    stack lies above the thread's would meet the thread's outermost
 *    handler first. A new greenlet starts with the empty list (-1).
 * GuaranteedStackBytes (SetThreadStackGuarantee) stays the thread's. The
 * MXCSR and x87 control words are not switched (as on every other
 * machine layer: the floating-point environment belongs to the thread).
 *
 * Every function here has SEH unwind information (.seh_* directives), so
 * that the exception dispatcher, RtlVirtualUnwind and debuggers walk
 * through a suspended switch. Unlike x86_64_sysv.S, the stack pointer
 * stays fixed after the prologue, the resume address included (it is a
 * slot of the frame, not pushed), so that the unwind information holds at
 * every instruction that can be resumed or can fault.
 *
 * Frame of a suspended stack, from its saved stack pointer upward:
 *     +0    32 bytes: home space of the functions called from here
 *     +32   the fifth argument of a call (green__switch_prepare's)
 *     +40   16 bytes: the return buffer of a struct-returning call
 *     +56   resume address
 *     +64   xmm6 ... xmm15 (160 bytes)
 *     +224  StackBase, StackLimit, DeallocationStack, ExceptionList,
 *           padding
 *     +264  r15, r14, r13, r12, rsi, rdi, rbx, rbp
 *     +328  return address
 * Resuming a stack is `mov sp, %rsp; jmp *56(%rsp)`, with a resume code
 * of arch.h in edx. green_switch() always takes the C path (no fast path
 * as on ELF x86-64): the thread pointer is MinGW's emulated TLS, which
 * only C reads.
 *
 * A new stack: green__arch_init_stack() makes a frame whose resume address
 * is green_arch_entry. The entry gives the TIB the bounds the stack map
 * (os_win32.c) left in the stack's top 16 bytes, and its StackBase is
 * that top minus 16, right above the entry's own frame, whose return
 * address is 0: a walk up a greenlet's stack ends there.
 */
#include "arch.h"

#define TIB_EXCEPTION_LIST 0x00
#define TIB_STACK_BASE 0x08
#define TIB_STACK_LIMIT 0x10
#define TEB_DEALLOCATION_STACK 0x1478

#define F_ARG5 32
#define F_RETBUF 40
#define F_RESUME 56
#define F_XMM 64
#define F_TIB 224
#define F_ALLOC 264 /* below the pushed registers */

.macro WIN_FUNC name
    .text
    .p2align 4
    .def \name; .scl 2; .type 32; .endef
    .globl \name
\name:
    .seh_proc \name
.endm

.macro WIN_LOCAL_FUNC name
    .text
    .p2align 4
    .def \name; .scl 3; .type 32; .endef
\name:
    .seh_proc \name
.endm

.macro WIN_END
    .seh_endproc
.endm

/* The prologue of both switches: the frame above, but for its resume
 * address and TIB fields. */
.macro SAVE_REGS
    pushq %rbp
    .seh_pushreg %rbp
    pushq %rbx
    .seh_pushreg %rbx
    pushq %rdi
    .seh_pushreg %rdi
    pushq %rsi
    .seh_pushreg %rsi
    pushq %r12
    .seh_pushreg %r12
    pushq %r13
    .seh_pushreg %r13
    pushq %r14
    .seh_pushreg %r14
    pushq %r15
    .seh_pushreg %r15
    subq $F_ALLOC, %rsp
    .seh_stackalloc F_ALLOC
    movaps %xmm6, F_XMM+0(%rsp)
    .seh_savexmm %xmm6, F_XMM+0
    movaps %xmm7, F_XMM+16(%rsp)
    .seh_savexmm %xmm7, F_XMM+16
    movaps %xmm8, F_XMM+32(%rsp)
    .seh_savexmm %xmm8, F_XMM+32
    movaps %xmm9, F_XMM+48(%rsp)
    .seh_savexmm %xmm9, F_XMM+48
    movaps %xmm10, F_XMM+64(%rsp)
    .seh_savexmm %xmm10, F_XMM+64
    movaps %xmm11, F_XMM+80(%rsp)
    .seh_savexmm %xmm11, F_XMM+80
    movaps %xmm12, F_XMM+96(%rsp)
    .seh_savexmm %xmm12, F_XMM+96
    movaps %xmm13, F_XMM+112(%rsp)
    .seh_savexmm %xmm13, F_XMM+112
    movaps %xmm14, F_XMM+128(%rsp)
    .seh_savexmm %xmm14, F_XMM+128
    movaps %xmm15, F_XMM+144(%rsp)
    .seh_savexmm %xmm15, F_XMM+144
    .seh_endprologue
    movq %gs:TIB_STACK_BASE, %rax
    movq %rax, F_TIB+0(%rsp)
    movq %gs:TIB_STACK_LIMIT, %rax
    movq %rax, F_TIB+8(%rsp)
    movq %gs:TEB_DEALLOCATION_STACK, %rax
    movq %rax, F_TIB+16(%rsp)
    movq %gs:TIB_EXCEPTION_LIST, %rax
    movq %rax, F_TIB+24(%rsp)
.endm

/* First thing on a resumed stack, before any call or probe: its TIB
 * fields back (rax and rcx are free: edx holds the resume code). */
.macro RESTORE_TIB
    movq F_TIB+0(%rsp), %rax
    movq F_TIB+8(%rsp), %rcx
    movq %rax, %gs:TIB_STACK_BASE
    movq %rcx, %gs:TIB_STACK_LIMIT
    movq F_TIB+16(%rsp), %rax
    movq F_TIB+24(%rsp), %rcx
    movq %rax, %gs:TEB_DEALLOCATION_STACK
    movq %rcx, %gs:TIB_EXCEPTION_LIST
.endm

/* The epilogue: the xmm registers, then the form the unwinder recognises
 * (add to rsp, pops, ret). eax holds the return value. */
.macro RESTORE_REGS_AND_RETURN
    movaps F_XMM+0(%rsp), %xmm6
    movaps F_XMM+16(%rsp), %xmm7
    movaps F_XMM+32(%rsp), %xmm8
    movaps F_XMM+48(%rsp), %xmm9
    movaps F_XMM+64(%rsp), %xmm10
    movaps F_XMM+80(%rsp), %xmm11
    movaps F_XMM+96(%rsp), %xmm12
    movaps F_XMM+112(%rsp), %xmm13
    movaps F_XMM+128(%rsp), %xmm14
    movaps F_XMM+144(%rsp), %xmm15
    addq $F_ALLOC, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rsi
    popq %rdi
    popq %rbx
    popq %rbp
    ret
.endm

/* With the origin's frame saved (rsp on it): the copy-out function on the
 * origin's stack, the copy-in one on the shared stack below the target's
 * frame, then resume the target (slowly). See copy.c. The home space of
 * each call lies in the frame or in the scratch room copy.c leaves. */
.macro RESUME_THROUGH_COPY
    call green__copy_out
    movq %rax, %rsp
    call green__copy_in
    movq %rax, %rsp
    movl $GREEN_RESUME_SLOW, %edx
    jmpq *F_RESUME(%rsp)
.endm

/* int green_switch(green_t *target, void *value, void **result) */
WIN_FUNC green_switch
    SAVE_REGS
    leaq .Lswitch_resume(%rip), %rax
    movq %rax, F_RESUME(%rsp)
    /* {sp, rc} = green__switch_prepare(target, value, result, frame sp),
     * returned through the buffer in rcx */
    movq %r8, %r9
    movq %rdx, %r8
    movq %rcx, %rdx
    leaq F_RETBUF(%rsp), %rcx
    movq %rsp, F_ARG5(%rsp)
    call green__switch_prepare
    movl F_RETBUF+8(%rsp), %edx     /* rc (a long: 32 bits here) */
    movq F_RETBUF(%rsp), %rax       /* sp */
    testq %rax, %rax
    jz .Lswitch_none
    cmpl $GREEN_RESUME_COPY, %edx
    je .Lswitch_copy
    movq %rax, %rsp                 /* edx: GREEN_RESUME_FAST or _SLOW */
    jmpq *F_RESUME(%rsp)
.Lswitch_copy:
    RESUME_THROUGH_COPY
.Lswitch_none:
    movl %edx, %eax
    RESTORE_REGS_AND_RETURN
    /* A greenlet suspended in green_switch resumes here. */
.Lswitch_resume:
    RESTORE_TIB
    xorl %eax, %eax                 /* GREEN_OK */
    cmpl $GREEN_RESUME_FAST, %edx
    je 1f
    call green__switch_resumed
1:
    RESTORE_REGS_AND_RETURN
WIN_END

/*
 * void green__arch_switch(void **save_sp, void *new_sp, int copy)
 * The switch used inside the library (throws, finishing greenlets, kills).
 */
WIN_FUNC green__arch_switch
    SAVE_REGS
    leaq .Lplain_resume(%rip), %rax
    movq %rax, F_RESUME(%rsp)
    movq %rsp, (%rcx)
    testl %r8d, %r8d
    jnz 1f
    movq %rdx, %rsp
    movl $GREEN_RESUME_SLOW, %edx   /* a green_switch frame resumes slow */
    jmpq *F_RESUME(%rsp)
1:  RESUME_THROUGH_COPY             /* copy != 0 */
.Lplain_resume:
    RESTORE_TIB
    RESTORE_REGS_AND_RETURN
WIN_END

/*
 * void *green__arch_init_stack(void *base, size_t size)
 * A frame at the top T of [base, base+size) (16-aligned) whose resume
 * address is green_arch_entry: the entry's frame is [T-80, T-16), its
 * resume slot (F_RESUME) at T-24, where the entry's return address will
 * be. Writes that slot only. Returns the frame's stack pointer, T-80.
 */
WIN_FUNC green__arch_init_stack
    .seh_endprologue
    leaq (%rcx,%rdx), %rax
    andq $-16, %rax
    leaq green_arch_entry(%rip), %rcx
    movq %rcx, -80+F_RESUME(%rax)
    subq $80, %rax
    ret
WIN_END

/*
 * First code run on a new stack, rsp = T-80 (16-aligned). Sets the TIB
 * from the bounds at T-16 and T-8 (os.h), then runs the greenlet's body.
 * Its frame: home space, the return buffer of green__begin() at +32, the
 * body's `out` at +48, a return address 0 at +56 (the resume slot, which
 * has served). The unwind information says so: a walk from the body
 * finds a null return address with the stack pointer at StackBase, and
 * stops.
 */
WIN_LOCAL_FUNC green_arch_entry
    .seh_stackalloc 56
    .seh_endprologue
    movq $0, 56(%rsp)
    leaq 64(%rsp), %rax             /* T - 16 */
    movq %rax, %gs:TIB_STACK_BASE
    movq (%rax), %rcx
    movq %rcx, %gs:TIB_STACK_LIMIT
    movq 8(%rax), %rcx
    movq %rcx, %gs:TEB_DEALLOCATION_STACK
    movq $-1, %gs:TIB_EXCEPTION_LIST
    xorl %ebp, %ebp
    leaq 32(%rsp), %rcx
    call green__begin               /* {self, in} at +32 */
    movq $0, 48(%rsp)               /* out = NULL */
    movq 32(%rsp), %rcx
    movq 40(%rsp), %rdx
    leaq 48(%rsp), %r8
    call *GREEN_G_RUN(%rcx)         /* rc = self->run(self, in, &out) */
    movl %eax, %ecx
    movq 48(%rsp), %rdx
    call green__finish              /* (rc, out); never returns */
    ud2
WIN_END
