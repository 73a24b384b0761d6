/*
 * x86_64_sysv.S - the stack switch for x86-64, System V ABI, ELF.
 *
 * Saved on a switch: the six callee-saved general registers (rbx, rbp,
 * r12-r15), the stack pointer, and the resume address. Nothing else:
 *  - caller-saved registers are dead across the call to the switch;
 *  - the MXCSR and x87 control words are *not* switched: the floating-point
 *    environment belongs to the thread, not to the greenlet. Reloading
 *    MXCSR right after the peer stored it stalls tight ping-pong on current
 *    x86 cores (see bench/README.md for the figure measured here);
 *  - no CET shadow stack support (the switch would need to swap the shadow
 *    stack token).
 *
 * The resume address is popped and jumped to rather than returned to: a
 * `ret` into the other stack never matches the return-stack predictor.
 *
 * Frame left on a suspended stack, from its saved stack pointer upward:
 *     r15, r14, r13, r12, rbx, rbp, resume address
 * Every suspended stack has this layout, so one set of CFI rules describes
 * the frame before and after the stack pointer is swapped.
 */
    .text

/* void *green_arch_switch(void **save_sp, void *new_sp, void *arg) */
    .globl green_arch_switch
    .hidden green_arch_switch
    .type green_arch_switch, @function
    .p2align 4
green_arch_switch:
    .cfi_startproc
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

    movq %rsp, (%rdi)
    movq %rsi, %rsp

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
    movq %rdx, %rax
    jmpq *%rcx
    .cfi_endproc
    .size green_arch_switch, .-green_arch_switch

/*
 * void *green_arch_init_stack(void *base, size_t size)
 * Builds the frame above at the top of [base, base+size) with zeroed
 * registers and green_arch_entry as resume address; returns its sp.
 */
    .globl green_arch_init_stack
    .hidden green_arch_init_stack
    .type green_arch_init_stack, @function
    .p2align 4
green_arch_init_stack:
    .cfi_startproc
    leaq (%rdi,%rsi), %rax
    andq $-16, %rax
    subq $16, %rax              /* 16-byte aligned when entry starts */
    leaq green_arch_entry(%rip), %rcx
    movq %rcx, -8(%rax)
    subq $56, %rax
    xorl %ecx, %ecx
    movq %rcx, 0(%rax)
    movq %rcx, 8(%rax)
    movq %rcx, 16(%rax)
    movq %rcx, 24(%rax)
    movq %rcx, 32(%rax)
    movq %rcx, 40(%rax)         /* rbp = 0 ends frame-pointer walks */
    ret
    .cfi_endproc
    .size green_arch_init_stack, .-green_arch_init_stack

/*
 * First code run on a new stack: rax holds the switch's arg. The return
 * address is marked undefined so that unwinders end the backtrace here.
 */
    .type green_arch_entry, @function
    .p2align 4
green_arch_entry:
    .cfi_startproc
    .cfi_undefined %rip
    movq %rax, %rdi
    call green__entry
    ud2
    .cfi_endproc
    .size green_arch_entry, .-green_arch_entry

    .section .note.GNU-stack, "", %progbits
