/*
 * aarch64_aapcs.S - the stack switch for AArch64, AAPCS64, ELF.
 *
 * Saved on a switch: the callee-saved x19-x28, the frame pointer x29, the
 * link register x30 (the resume address), the low halves d8-d15 of v8-v15,
 * and sp. The FPCR/FPSR floating-point control and status registers are
 * not switched: they belong to the thread, not to the greenlet. No BTI or
 * pointer authentication of the resume address.
 *
 * The switch resumes with `br x30` instead of `ret`, so that the other
 * stack's resume address is not checked against the return predictor.
 *
 * Frame left on a suspended stack, 160 bytes from its saved sp upward:
 *     x19 x20 x21 x22 x23 x24 x25 x26 x27 x28 x29 x30 d8 ... d15
 */
    .text

/* void *green_arch_switch(void **save_sp, void *new_sp, void *arg) */
    .globl green_arch_switch
    .hidden green_arch_switch
    .type green_arch_switch, %function
    .p2align 4
green_arch_switch:
    .cfi_startproc
    sub sp, sp, #160
    .cfi_def_cfa_offset 160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
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

    mov x9, sp
    str x9, [x0]
    mov sp, x1

    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    .cfi_def_cfa_offset 0
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore x29
    .cfi_restore x30
    .cfi_restore d8
    .cfi_restore d9
    .cfi_restore d10
    .cfi_restore d11
    .cfi_restore d12
    .cfi_restore d13
    .cfi_restore d14
    .cfi_restore d15
    mov x0, x2
    br x30
    .cfi_endproc
    .size green_arch_switch, .-green_arch_switch

/*
 * void *green_arch_init_stack(void *base, size_t size)
 * Builds the frame above at the 16-aligned top of [base, base+size) with
 * zeroed registers and green_arch_entry as x30; returns its sp.
 */
    .globl green_arch_init_stack
    .hidden green_arch_init_stack
    .type green_arch_init_stack, %function
    .p2align 4
green_arch_init_stack:
    .cfi_startproc
    add x0, x0, x1
    and x0, x0, #~15
    sub x0, x0, #160
    stp xzr, xzr, [x0, #0]
    stp xzr, xzr, [x0, #16]
    stp xzr, xzr, [x0, #32]
    stp xzr, xzr, [x0, #48]
    stp xzr, xzr, [x0, #64]
    adr x9, green_arch_entry
    stp xzr, x9, [x0, #80]      /* x29 = 0 ends frame-pointer walks */
    stp xzr, xzr, [x0, #96]
    stp xzr, xzr, [x0, #112]
    stp xzr, xzr, [x0, #128]
    stp xzr, xzr, [x0, #144]
    ret
    .cfi_endproc
    .size green_arch_init_stack, .-green_arch_init_stack

/* First code run on a new stack: x0 holds the switch's arg. */
    .type green_arch_entry, %function
    .p2align 4
green_arch_entry:
    .cfi_startproc
    .cfi_undefined x30
    bl green__entry
    brk #0
    .cfi_endproc
    .size green_arch_entry, .-green_arch_entry

    .section .note.GNU-stack, "", %progbits
