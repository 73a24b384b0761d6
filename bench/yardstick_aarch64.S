/* SPDX-License-Identifier: MIT */
/*
 * yardstick_aarch64.S - reference switches for the benchmark, not part of
 * the library: the AAPCS64 floor (x19-x30, d8-d15, sp; resume by br).
 * bare_switch_fpu also saves and reloads FPCR.
 */
    .text
    .globl bare_switch
    .type bare_switch, %function
    .p2align 4
bare_switch:
    sub sp, sp, #160
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
    br x30
    .size bare_switch, .-bare_switch

    .globl bare_switch_fpu
    .type bare_switch_fpu, %function
    .p2align 4
bare_switch_fpu:
    mrs x9, fpcr
    str x9, [sp, #-16]!
    stp x29, x30, [sp, #-16]!
    bl bare_switch
    ldp x29, x30, [sp], #16
    ldr x9, [sp], #16
    msr fpcr, x9
    ret
    .size bare_switch_fpu, .-bare_switch_fpu

    .globl bare_init
    .type bare_init, %function
    .p2align 4
bare_init:
    and x0, x0, #~15
    sub x0, x0, #160
    stp xzr, xzr, [x0, #0]
    stp xzr, xzr, [x0, #16]
    stp xzr, xzr, [x0, #32]
    stp xzr, xzr, [x0, #48]
    stp xzr, xzr, [x0, #64]
    stp xzr, x1, [x0, #80]
    stp xzr, xzr, [x0, #96]
    stp xzr, xzr, [x0, #112]
    stp xzr, xzr, [x0, #128]
    stp xzr, xzr, [x0, #144]
    ret
    .size bare_init, .-bare_init

    .globl bare_init_fpu
    .type bare_init_fpu, %function
    .p2align 4
bare_init_fpu:
    b bare_init
    .size bare_init_fpu, .-bare_init_fpu

    .section .note.GNU-stack, "", %progbits
