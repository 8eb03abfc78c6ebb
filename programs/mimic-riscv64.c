/*
 * mimic-riscv64.c — the RISC-V 64 Linux user-mode emulator program.
 *
 * The one thing to know: everything happens in linux_user_main(); this
 * file exists so that each emulated architecture gets its own binary.
 */
#include "linux-user/linux-user.h"

int main(int argc, char **argv)
{
    return linux_user_main(argc, argv);
}
