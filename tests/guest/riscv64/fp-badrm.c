/*
 * fp-badrm.c — a reserved rounding mode is an illegal instruction: built
 * with -DDYNAMIC it sets frm to the reserved value 5 and runs fadd.d with
 * the dynamic mode; otherwise it runs fadd.d with the static rm field 5.
 * Either way the guest must die with SIGILL (status 132).
 *
 * The one thing to know: an FP instruction with a valid static mode must
 * still work while frm holds a reserved value, which is checked first (and
 * frm is made valid again around printf, which aborts on a reserved one).
 */
#include <stdio.h>

int main(void)
{
    volatile double a = 1.0, b = 2.0;
    double r;
    __asm__ volatile("fsrmi 5");
    __asm__ volatile("fadd.d %0, %1, %2, rne" : "=f"(r) : "f"(a), "f"(b));
    __asm__ volatile("fsrmi 0");   /* glibc's printf aborts on a reserved frm */
    printf("static rne with frm=5: %g\n", r);
    fflush(stdout);
    __asm__ volatile("fsrmi 5");
#ifdef DYNAMIC
    __asm__ volatile("fadd.d %0, %1, %2, dyn" : "=f"(r) : "f"(a), "f"(b));
#else
    /* fadd.d fa0, fa0, fa0 with rm = 5 (the assembler refuses to write it) */
    __asm__ volatile(".4byte 0x02a55553" : : : "fa0");
#endif
    printf("still alive? %g\n", r);
    return 0;
}
