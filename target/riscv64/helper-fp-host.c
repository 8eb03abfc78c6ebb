/*
 * helper-fp-host.c — the F/D helpers' use of the host FPU: binary64
 * arithmetic on SSE in a chosen rounding mode, and truncated x87
 * extended-precision arithmetic for the round-to-odd path.
 *
 * The one thing to know: the host's rounding control and sticky flags are
 * set, read and restored around every operation, and the operands and the
 * result go through volatile variables so that the compiler can neither fold
 * the operation nor move it out of that window. mimic itself always runs in
 * the host's default floating-point environment.
 */
#include <fenv.h>
#include <math.h>

#include "target/riscv64/fpu.h"

/* x86 exception flag bits (MXCSR and the x87 status word agree). */
enum {
    X86_IE = 0x01,
    X86_ZE = 0x04,
    X86_OE = 0x08,
    X86_UE = 0x10,
    X86_PE = 0x20,
    X86_MXCSR_MASKS = 0x1f80,
    X86_MXCSR_RC_SHIFT = 13,
};

static uint32_t rv_flags_from_x86(unsigned x)
{
    return (x & X86_IE ? RV_FFLAG_NV : 0) | (x & X86_ZE ? RV_FFLAG_DZ : 0) |
           (x & X86_OE ? RV_FFLAG_OF : 0) | (x & X86_UE ? RV_FFLAG_UF : 0) |
           (x & X86_PE ? RV_FFLAG_NX : 0);
}

static inline uint32_t rv_mxcsr_get(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v) : : "memory");
    return v;
}

static inline void rv_mxcsr_set(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v) : "memory");
}

/* MXCSR rounding control for RISC-V modes RNE, RTZ, RDN, RUP. */
static const uint32_t rv_x86_rc[4] = { 0, 3, 1, 2 };

double rv_host_op_d(RVHostOp op, double a, double b, double c, unsigned rm, uint32_t *flags)
{
    volatile double va = a, vb = b, vc = c, vr;
    uint32_t saved = rv_mxcsr_get();
    rv_mxcsr_set(X86_MXCSR_MASKS | rv_x86_rc[rm & 3] << X86_MXCSR_RC_SHIFT);
    switch (op) {
    case RV_HOST_ADD:
        vr = va + vb;
        break;
    case RV_HOST_SUB:
        vr = va - vb;
        break;
    case RV_HOST_MUL:
        vr = va * vb;
        break;
    case RV_HOST_DIV:
        vr = va / vb;
        break;
    case RV_HOST_SQRT:
        vr = __builtin_sqrt(va);
        break;
    case RV_HOST_FMA:
        vr = fma(va, vb, vc);   /* glibc's fma is correctly rounded in MXCSR's mode */
        break;
    }
    uint32_t raised = rv_mxcsr_get();
    rv_mxcsr_set(saved);
    *flags |= rv_flags_from_x86(raised);
    return vr;
}

long double rv_host_op_ext_rtz(RVHostOp op, long double a, long double b, long double c,
                               uint32_t *flags)
{
    volatile long double va = a, vb = b, vc = c, vr;
    fenv_t saved;
    fegetenv(&saved);
    fesetround(FE_TOWARDZERO);
    feclearexcept(FE_ALL_EXCEPT);
    switch (op) {
    case RV_HOST_ADD:
        vr = va + vb;
        break;
    case RV_HOST_SUB:
        vr = va - vb;
        break;
    case RV_HOST_MUL:
        vr = va * vb;
        break;
    case RV_HOST_DIV:
        vr = va / vb;
        break;
    case RV_HOST_SQRT:
        vr = __builtin_sqrtl(va);
        break;
    case RV_HOST_FMA:
        vr = fmal(va, vb, vc);
        break;
    }
    int raised = fetestexcept(FE_ALL_EXCEPT);
    fesetenv(&saved);
    *flags |= (raised & FE_INVALID ? RV_FFLAG_NV : 0) | (raised & FE_DIVBYZERO ? RV_FFLAG_DZ : 0) |
              (raised & FE_INEXACT ? RV_FFLAG_NX : 0);
    return vr;
}
