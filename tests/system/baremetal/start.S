/*
 * start.S — entry and trap vector of the bare-metal system tests: runs in
 * M-mode from 0x80000000 (-bios none -kernel), sets a stack, points mtvec
 * at trap_entry and calls main(); trap_entry saves every register in a
 * frame and calls trap(frame), which may change the frame (mepc...).
 */
    .section .text.start
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la sp, stack_top
    la t0, trap_stack_top
    csrw mscratch, t0
    la t0, trap_entry
    csrw mtvec, t0
    call main
park:
    wfi
    j park

    .align 4
    .globl trap_entry
trap_entry:
    csrrw sp, mscratch, sp          /* sp = trap stack, mscratch = interrupted sp */
    addi sp, sp, -34*8
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(sp)
    .endr
    csrr t0, mscratch
    sd t0, 2*8(sp)
    addi t0, sp, 34*8
    csrw mscratch, t0
    csrr t0, mepc
    sd t0, 32*8(sp)
    mv a0, sp
    call trap
    ld t0, 32*8(sp)
    csrw mepc, t0
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(sp)
    .endr
    ld sp, 2*8(sp)
    mret

/* void run_in_mode(unsigned mpp, void (*fn)(void), uint64_t sp): runs fn
 * in privilege mpp until it does ecall with a7 = -1; trap() then resumes
 * here (resume_m) in M-mode. */
    .globl run_in_mode
run_in_mode:
    addi sp, sp, -112
    sd ra, 0(sp)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    sd s\n, (8+8*\n)(sp)
    .endr
    la t0, saved_m_sp
    sd sp, 0(t0)
    li t0, 3 << 11
    csrc mstatus, t0
    slli t1, a0, 11
    csrs mstatus, t1
    csrw mepc, a1
    mv sp, a2
    mret
    .globl resume_m
resume_m:
    la t0, saved_m_sp
    ld sp, 0(t0)
    ld ra, 0(sp)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    ld s\n, (8+8*\n)(sp)
    .endr
    addi sp, sp, 112
    ret

    .bss
    .align 12
    .space 16384
stack_top:
    .space 8192
trap_stack_top:
saved_m_sp:
    .space 8
