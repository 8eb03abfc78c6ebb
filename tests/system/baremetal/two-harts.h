/*
 * two-harts.h — the entry of the bare-metal programs that run on two harts
 * (-smp 2 -bios none -kernel): every hart starts at _start, takes its own
 * 8 KiB stack and calls hart_main(mhartid); a hart that returns waits in
 * wfi for good. Include it in exactly one C file of the program.
 */
#ifndef BAREMETAL_TWO_HARTS_H
#define BAREMETAL_TWO_HARTS_H

#include <stdint.h>

void hart_main(uint64_t hartid);

__asm__(".section .text.start\n"
        ".globl _start\n"
        "_start:\n"
        "  csrr t0, mhartid\n"
        "  la sp, stack0_top\n"
        "  beqz t0, 1f\n"
        "  la sp, stack1_top\n"
        "1: mv a0, t0\n"
        "  call hart_main\n"
        "2: wfi\n"
        "  j 2b\n"
        ".bss\n"
        ".align 4\n"
        "  .space 8192\n"
        "stack0_top:\n"
        "  .space 8192\n"
        "stack1_top:\n"
        ".text\n");

#endif
