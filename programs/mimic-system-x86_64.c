/*
 * mimic-system-x86_64.c — the x86-64 full-system program: the microvm
 * machine on KVM.
 *
 * The one thing to know: the command line and start-up live in
 * accel/kvm/x86-main.c; this file exists so that each emulated machine
 * family gets its own binary.
 */
#include "accel/kvm/x86-main.h"

int main(int argc, char **argv)
{
    return x86_system_main(argc, argv);
}
