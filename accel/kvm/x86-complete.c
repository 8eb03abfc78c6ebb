/*
 * x86-complete.c — the instructions mimic completes after KVM's emulator
 * failed: decode (prefixes, REX, opcode, a register-only ModRM), then the
 * register and flag updates through KVM_GET/SET_REGS, or an injected #BP.
 *
 * The one thing to know: the instruction bytes are read through the
 * guest's page tables (KVM_TRANSLATE, page by page) and only from RAM; a
 * decode that does not match exactly leaves the exit fatal.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/x86-complete.h"
#include "accel/kvm/x86-cpu.h"
#include "mimic/log.h"

#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_AC (1ull << 18)

/* Reads up to 15 instruction bytes at linear address rip. */
static int fetch(KVMVcpu *v, const AddressSpace *as, uint64_t rip, uint8_t *buf, size_t *len)
{
    size_t n = 0;
    while (n < 15) {
        uint64_t la = rip + n;
        size_t chunk = 0x1000 - (la & 0xfff);
        if (chunk > 15 - n) {
            chunk = 15 - n;
        }
        struct kvm_translation tr = { .linear_address = la };
        if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid ||
            address_space_read(as, tr.physical_address, buf + n, chunk) < 0) {
            break;
        }
        n += chunk;
    }
    *len = n;
    return n ? 0 : -1;
}

static __u64 *gpr(struct kvm_regs *r, unsigned n)
{
    __u64 *regs[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
                           &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13,
                           &r->r14, &r->r15 };
    return regs[n & 15];
}

/* popcnt/lzcnt/tzcnt (F3 [REX] 0F B8/BD/BC, register form). */
static bool bitcount(struct kvm_regs *r, uint8_t op, unsigned width, unsigned reg, unsigned rm)
{
    uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
    uint64_t src = *gpr(r, rm) & mask, res;
    uint64_t flags = r->rflags & ~(RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF |
                                   RFLAGS_OF);
    if (op == 0xb8) {
        res = (uint64_t)__builtin_popcountll(src);
        flags |= src == 0 ? RFLAGS_ZF : 0;
    } else if (op == 0xbd) {
        res = src ? (uint64_t)(__builtin_clzll(src) - (64 - width)) : width;
        flags |= (src == 0 ? RFLAGS_CF : 0) | (res == 0 ? RFLAGS_ZF : 0);
    } else if (op == 0xbc) {
        res = src ? (uint64_t)__builtin_ctzll(src) : width;
        flags |= (src == 0 ? RFLAGS_CF : 0) | (res == 0 ? RFLAGS_ZF : 0);
    } else {
        return false;
    }
    __u64 *dst = gpr(r, reg);
    if (width == 16) {
        *dst = (*dst & ~0xffffull) | res;
    } else {
        *dst = res; /* a 32-bit result zero-extends */
    }
    r->rflags = flags;
    return true;
}

/* The linear address of a ModRM memory operand in 64-bit mode (b points at
 * the ModRM byte); returns the bytes of ModRM + SIB + displacement, or 0
 * for a register operand or a form not handled. */
static size_t modrm_address(const struct kvm_regs *r, const uint8_t *b, size_t avail,
                            uint8_t rex, uint64_t next_rip_base, uint64_t *addr)
{
    if (avail < 1) {
        return 0;
    }
    struct kvm_regs c = *r;
    unsigned mod = b[0] >> 6, rm = b[0] & 7;
    size_t n = 1;
    uint64_t ea = 0;
    bool rip_rel = false;
    if (mod == 3) {
        return 0;
    }
    if (rm == 4) {
        if (avail < 2) {
            return 0;
        }
        uint8_t sib = b[1];
        unsigned scale = sib >> 6, index = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
        unsigned base = (sib & 7) | ((rex & 1) ? 8 : 0);
        n = 2;
        if (index != 4) {
            ea += *gpr(&c, index) << scale;
        }
        if ((sib & 7) == 5 && mod == 0) {
            if (avail < n + 4) {
                return 0;
            }
            int32_t d;
            memcpy(&d, b + n, 4);
            ea += (uint64_t)(int64_t)d;
            n += 4;
        } else {
            ea += *gpr(&c, base);
        }
    } else if (rm == 5 && mod == 0) {
        rip_rel = true;
    } else {
        ea += *gpr(&c, rm | ((rex & 1) ? 8 : 0));
    }
    if (mod == 1) {
        if (avail < n + 1) {
            return 0;
        }
        ea += (uint64_t)(int64_t)(int8_t)b[n];
        n += 1;
    } else if (mod == 2 || rip_rel) {
        if (avail < n + 4) {
            return 0;
        }
        int32_t d;
        memcpy(&d, b + n, 4);
        ea += (uint64_t)(int64_t)d;
        n += 4;
    }
    if (rip_rel) {
        ea += next_rip_base + n; /* RIP of the next instruction (no immediate follows) */
    }
    *addr = ea;
    return n;
}

/* Reads len bytes of guest memory at linear address la (one page at most). */
static int read_linear(KVMVcpu *v, const AddressSpace *as, uint64_t la, void *buf, size_t len)
{
    if ((la & 0xfff) + len > 0x1000) {
        return -1;
    }
    struct kvm_translation tr = { .linear_address = la };
    if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid) {
        return -1;
    }
    return address_space_read(as, tr.physical_address, buf, len) < 0 ? -1 : 0;
}

int x86_complete_instruction(KVMVcpu *v, const AddressSpace *as)
{
    struct kvm_regs r;
    struct kvm_sregs sr;
    uint8_t b[15];
    size_t len;
    if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sr) < 0 ||
        fetch(v, as, sr.cs.base + r.rip, b, &len) < 0) {
        return -1;
    }
    if (b[0] == 0xcc) {
        return x86_cpu_inject_int3(v);
    }
    if (len >= 3 && b[0] == 0x0f && b[1] == 0x01 && (b[2] == 0xca || b[2] == 0xcb)) {
        r.rflags = b[2] == 0xca ? r.rflags & ~RFLAGS_AC : r.rflags | RFLAGS_AC; /* clac, stac */
        r.rip += 3;
        return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
    }
    if (b[0] == 0x9b) { /* fwait: no x87 exception is ever left pending here */
        r.rip += 1;
        return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
    }
    if (len >= 3 && b[0] == 0x0f && b[1] == 0xae && (b[2] == 0xe8 || b[2] == 0xf0 ||
                                                     b[2] == 0xf8)) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* lfence, mfence, sfence */
        r.rip += 3;
        return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
    }
    if (len >= 2 && b[0] == 0xdb && (b[1] == 0xe2 || b[1] == 0xe3)) {
        struct kvm_fpu fpu; /* fnclex, fninit */
        if (ioctl(v->fd, KVM_GET_FPU, &fpu) < 0) {
            return -1;
        }
        if (b[1] == 0xe3) {
            fpu.fcw = 0x37f;
            fpu.fsw = 0;
            fpu.ftwx = 0; /* abridged tag word: every register empty */
            fpu.last_opcode = 0;
            fpu.last_ip = 0;
            fpu.last_dp = 0;
        } else {
            fpu.fsw &= (uint16_t)~0x80ffu;
        }
        r.rip += 2;
        return ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 || ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
    }
    /* Prefixes: 66 (operand size) and F3 (mandatory), then REX in 64-bit mode. */
    size_t i = 0;
    bool opsize = false, rep = false;
    while (i < len && (b[i] == 0x66 || b[i] == 0xf3)) {
        opsize |= b[i] == 0x66;
        rep |= b[i] == 0xf3;
        i++;
    }
    uint8_t rex = 0;
    if (sr.cs.l && i < len && (b[i] & 0xf0) == 0x40) {
        rex = b[i++];
    }
    if (!rep && !opsize && sr.cs.l && i + 3 <= len && b[i] == 0x0f && b[i + 1] == 0xae &&
        ((b[i + 2] >> 3) & 7) == 2) {
        /* ldmxcsr m32: a read of guest memory, then MXCSR */
        uint64_t ea;
        size_t n = modrm_address(&r, b + i + 2, len - i - 2, rex, r.rip + i + 2, &ea);
        uint32_t val;
        struct kvm_fpu fpu;
        if (n == 0 || read_linear(v, as, ea, &val, 4) < 0 || (val & ~0xffffu) ||
            ioctl(v->fd, KVM_GET_FPU, &fpu) < 0) {
            return -1;
        }
        fpu.mxcsr = val;
        r.rip += i + 2 + n;
        return ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 || ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
    }
    if (rep && i + 3 <= len && b[i] == 0x0f && (b[i + 2] >> 6) == 3) {
        uint8_t modrm = b[i + 2];
        unsigned width = (rex & 8) ? 64 : opsize ? 16 : 32;
        unsigned reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
        unsigned rm = (modrm & 7) | ((rex & 1) ? 8 : 0);
        if (bitcount(&r, b[i + 1], width, reg, rm)) {
            r.rip += i + 3;
            if (log_enabled(LOG_UNIMP)) {
                log_printf("kvm: vCPU %u: completed 0f %02x that KVM could not emulate\n",
                           v->index, b[i + 1]);
            }
            return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 0;
        }
    }
    return -1;
}
