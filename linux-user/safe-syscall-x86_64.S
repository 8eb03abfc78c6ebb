/*
 * safe-syscall-x86_64.S — a host system call that a signal for the guest
 * cannot slip in front of unnoticed (x86-64 hosts).
 *
 * The one thing to know: between safe_syscall_start and safe_syscall_end
 * (the syscall instruction itself, not yet executed) the pending flag has
 * been checked but the kernel has not been entered; the host signal
 * handler moves a thread interrupted there to safe_syscall_eintr, so the
 * call fails with EINTR instead of blocking with a signal waiting. Once in
 * the kernel, the handler interrupts the call the normal way (EINTR).
 *
 * int64_t safe_syscall_base(volatile int32_t *pending, long nr,
 *                           long a1, long a2, long a3, long a4, long a5, long a6);
 * returns the raw kernel result (-errno on failure).
 */
    .text
    .global safe_syscall_base
    .global safe_syscall_start
    .global safe_syscall_end
    .global safe_syscall_eintr
    .type safe_syscall_base, @function
safe_syscall_base:
    .cfi_startproc
    mov     %rdi, %r11          /* pending flag (r11 is free until syscall) */
    mov     %rsi, %rax          /* system call number */
    mov     %rdx, %rdi          /* a1 */
    mov     %rcx, %rsi          /* a2 */
    mov     %r8, %rdx           /* a3 */
    mov     %r9, %r10           /* a4 */
    mov     8(%rsp), %r8        /* a5 */
    mov     16(%rsp), %r9       /* a6 */
safe_syscall_start:
    cmpl    $0, (%r11)
    jnz     safe_syscall_eintr
    syscall
safe_syscall_end:
    ret
safe_syscall_eintr:
    mov     $-4, %rax           /* -EINTR */
    ret
    .cfi_endproc
    .size safe_syscall_base, .-safe_syscall_base
    .section .note.GNU-stack, "", @progbits
