/*
 * mimic-system-riscv64.c — the RISC-V 64 full-system emulator program.
 *
 * The one thing to know: the command line and start-up live in
 * system/riscv-main.c; this file exists so that each emulated machine
 * family gets its own binary.
 */
#include "system/riscv-main.h"

int main(int argc, char **argv)
{
    return riscv_system_main(argc, argv);
}
