/*
 * riscv-main.h — entry point of mimic-system-riscv64: QEMU-style command
 * line, machine creation, run.
 */
#ifndef MIMIC_SYSTEM_RISCV_MAIN_H
#define MIMIC_SYSTEM_RISCV_MAIN_H

int riscv_system_main(int argc, char **argv);

#endif
