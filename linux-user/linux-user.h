/*
 * linux-user.h — entry point of the user-mode emulator programs.
 *
 * The one thing to know: linux_user_main() parses the qemu-user style
 * command line, loads the program and runs it; it returns only on a
 * command-line or loading error (the guest's own exit ends the process).
 */
#ifndef LINUX_USER_LINUX_USER_H
#define LINUX_USER_LINUX_USER_H

int linux_user_main(int argc, char **argv);

#endif
