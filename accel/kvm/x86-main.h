/*
 * x86-main.h — mimic-system-x86_64's entry point (programs/ has the thin
 * main()).
 */
#ifndef MIMIC_ACCEL_KVM_X86_MAIN_H
#define MIMIC_ACCEL_KVM_X86_MAIN_H

int x86_system_main(int argc, char **argv);

#endif
