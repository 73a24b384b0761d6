/* SPDX-License-Identifier: MIT */
/*
 * yardstick_x86_64.S - reference switches for the benchmark, not part of
 * the library.
 *
 * bare_switch: the floor for x86-64 System V: six callee-saved registers,
 * the stack pointer, resume by pop + jmp. libgreen's switch is measured
 * against it.
 * bare_switch_fpu: the same, also saving and reloading MXCSR and the x87
 * control word (what Boost.Context and libaco do by default). Measured to
 * decide whether libgreen switches them.
 *
 * void bare_switch(void **save_sp, void *new_sp)
 * void bare_switch_fpu(void **save_sp, void *new_sp)
 * void *bare_init(void *stack_top, void (*fn)(void)): a frame that enters
 *   fn (which must never return) on the first switch.
 */
    .text
    .globl bare_switch
    .type bare_switch, @function
    .p2align 4
bare_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    popq %rcx
    jmpq *%rcx
    .size bare_switch, .-bare_switch

    .globl bare_switch_fpu
    .type bare_switch_fpu, @function
    .p2align 4
bare_switch_fpu:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    stmxcsr 8(%rsp)
    fnstcw (%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr 8(%rsp)
    fldcw (%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    popq %rcx
    jmpq *%rcx
    .size bare_switch_fpu, .-bare_switch_fpu

/* The frame holds room for both layouts: FPU words (default values),
 * six zero registers, fn. */
    .globl bare_init
    .type bare_init, @function
    .p2align 4
bare_init:
    movq %rdi, %rax
    andq $-16, %rax
    subq $16, %rax
    movq %rsi, -8(%rax)
    subq $56, %rax
    xorl %ecx, %ecx
    movq %rcx, 0(%rax)
    movq %rcx, 8(%rax)
    movq %rcx, 16(%rax)
    movq %rcx, 24(%rax)
    movq %rcx, 32(%rax)
    movq %rcx, 40(%rax)
    ret
    .size bare_init, .-bare_init

    .globl bare_init_fpu
    .type bare_init_fpu, @function
    .p2align 4
bare_init_fpu:
    call bare_init
    subq $16, %rax
    movl $0x1f80, 8(%rax)       /* default MXCSR */
    movw $0x037f, (%rax)        /* default x87 control word */
    ret
    .size bare_init_fpu, .-bare_init_fpu

    .section .note.GNU-stack, "", %progbits
