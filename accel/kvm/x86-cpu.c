/*
 * x86-cpu.c — CPUID, MSRs, LAPIC pins and boot registers of a KVM vCPU.
 *
 * The one thing to know: CPUID is the host's (KVM_GET_SUPPORTED_CPUID)
 * with only the per-CPU fields (APIC IDs) and the hypervisor bits changed;
 * an MSR is written only if the host lists it, one at a time, and a
 * refusal is logged (-d unimp), never fatal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/x86-cpu.h"
#include "mimic/log.h"

#define CR0_PE (1u << 0)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)

static int fail(char *err, size_t errlen, const char *what, unsigned cpu)
{
    snprintf(err, errlen, "vCPU %u: %s: %s", cpu, what, strerror(errno));
    return -1;
}

/* A segment descriptor: base, limit (20 bits), flags as in the high word
 * (type/S/DPL/P in bits 8-15, AVL/L/D/G in 20-23). */
static uint64_t gdt_entry(uint32_t flags, uint32_t base, uint32_t limit)
{
    return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0x00f0ff00u) << 32) |
           ((uint64_t)(limit & 0x000f0000u) << 32) | ((uint64_t)((base >> 16) & 0xff) << 32) |
           ((uint64_t)(base & 0xffff) << 16) | (limit & 0xffff);
}

void x86_build_gdt(uint64_t gdt[5], X86BootMode mode)
{
    gdt[0] = 0;
    gdt[1] = 0;
    /* code: P, S, type 0xb (exec/read, accessed), G; L for long mode, D for 32-bit */
    gdt[2] = gdt_entry(mode == X86_BOOT_LONG64 ? 0xa09b00 : 0xc09b00, 0, 0xfffff);
    gdt[3] = gdt_entry(0xc09300, 0, 0xfffff);   /* data: P, S, type 3, D, G */
    gdt[4] = gdt_entry(0x008b00, 0, 0x67);      /* TSS: P, type 0xb (busy 32-bit TSS) */
}

static struct kvm_segment seg_from_gdt(uint64_t d, uint16_t selector)
{
    struct kvm_segment s = {
        .base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000)),
        .limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000)),
        .selector = selector,
        .type = (uint8_t)((d >> 40) & 0xf),
        .present = (uint8_t)((d >> 47) & 1),
        .dpl = (uint8_t)((d >> 45) & 3),
        .db = (uint8_t)((d >> 54) & 1),
        .s = (uint8_t)((d >> 44) & 1),
        .l = (uint8_t)((d >> 53) & 1),
        .g = (uint8_t)((d >> 55) & 1),
        .avl = (uint8_t)((d >> 52) & 1),
    };
    if (s.g) {
        s.limit = (s.limit << 12) | 0xfff;
    }
    return s;
}

/* Feature names as QEMU spells them, and where CPUID reports them. */
static const struct {
    const char *name;
    uint32_t function, index;
    uint8_t reg, bit;
} x86_features[] = {
    { "pni", 1, 0, 2, 0 },        { "sse3", 1, 0, 2, 0 },      { "pclmulqdq", 1, 0, 2, 1 },
    { "ssse3", 1, 0, 2, 9 },      { "fma", 1, 0, 2, 12 },      { "cx16", 1, 0, 2, 13 },
    { "pcid", 1, 0, 2, 17 },      { "sse4.1", 1, 0, 2, 19 },   { "sse4.2", 1, 0, 2, 20 },
    { "x2apic", 1, 0, 2, 21 },    { "movbe", 1, 0, 2, 22 },    { "popcnt", 1, 0, 2, 23 },
    { "tsc-deadline", 1, 0, 2, 24 }, { "aes", 1, 0, 2, 25 },   { "xsave", 1, 0, 2, 26 },
    { "avx", 1, 0, 2, 28 },       { "f16c", 1, 0, 2, 29 },     { "rdrand", 1, 0, 2, 30 },
    { "fsgsbase", 7, 0, 1, 0 },   { "bmi1", 7, 0, 1, 3 },      { "hle", 7, 0, 1, 4 },
    { "avx2", 7, 0, 1, 5 },       { "smep", 7, 0, 1, 7 },      { "bmi2", 7, 0, 1, 8 },
    { "erms", 7, 0, 1, 9 },       { "invpcid", 7, 0, 1, 10 },  { "rtm", 7, 0, 1, 11 },
    { "avx512f", 7, 0, 1, 16 },   { "rdseed", 7, 0, 1, 18 },   { "adx", 7, 0, 1, 19 },
    { "smap", 7, 0, 1, 20 },      { "umip", 7, 0, 2, 2 },      { "pku", 7, 0, 2, 3 },
    { "la57", 7, 0, 2, 16 },      { "xsaveopt", 0xd, 1, 0, 0 }, { "xsavec", 0xd, 1, 0, 1 },
    { "xsaves", 0xd, 1, 0, 3 },   { "lahf-lm", 0x80000001, 0, 2, 0 },
    { "abm", 0x80000001, 0, 2, 5 }, { "pdpe1gb", 0x80000001, 0, 3, 26 },
    { "rdtscp", 0x80000001, 0, 3, 27 },
};

int x86_cpu_parse_feature(const char *spec, X86CpuidEdit *edit, bool *want, char *err,
                          size_t errlen)
{
    char name[32];
    bool on;
    size_t n = strlen(spec);
    if (spec[0] == '+' || spec[0] == '-') {
        on = spec[0] == '+';
        snprintf(name, sizeof(name), "%s", spec + 1);
    } else if (n > 3 && !strcmp(spec + n - 3, "=on")) {
        on = true;
        snprintf(name, sizeof(name), "%.*s", (int)(n - 3), spec);
    } else if (n > 4 && !strcmp(spec + n - 4, "=off")) {
        on = false;
        snprintf(name, sizeof(name), "%.*s", (int)(n - 4), spec);
    } else {
        snprintf(err, errlen, "'%s': expected -FEATURE, +FEATURE or FEATURE=on|off", spec);
        return -1;
    }
    for (size_t i = 0; i < sizeof(x86_features) / sizeof(x86_features[0]); i++) {
        if (!strcmp(x86_features[i].name, name)) {
            *edit = (X86CpuidEdit){ x86_features[i].function, x86_features[i].index,
                                    x86_features[i].reg, 1u << x86_features[i].bit };
            *want = on;
            return on ? 0 : 1;
        }
    }
    snprintf(err, errlen, "unknown CPU feature '%s'", name);
    return -1;
}

static uint32_t *cpuid_reg(struct kvm_cpuid_entry2 *e, unsigned reg)
{
    return reg == 0 ? &e->eax : reg == 1 ? &e->ebx : reg == 2 ? &e->ecx : &e->edx;
}

static bool cpuid_entry_matches(const struct kvm_cpuid_entry2 *e, uint32_t function,
                                uint32_t index)
{
    return e->function == function &&
           (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index);
}

bool x86_cpu_host_has(const KVMState *s, const X86CpuidEdit *edit)
{
    for (unsigned i = 0; i < s->cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *e = &s->cpuid->entries[i];
        if (cpuid_entry_matches(e, edit->function, edit->index)) {
            return (*cpuid_reg(e, edit->reg) & edit->mask) != 0;
        }
    }
    return false;
}

static int x86_setup_cpuid(KVMState *s, KVMVcpu *v, unsigned nb_cpus, const X86CpuidEdit *edits,
                           unsigned nb_edits, char *err, size_t errlen)
{
    const struct kvm_cpuid2 *src = s->cpuid;
    size_t bytes = sizeof(*src) + src->nent * sizeof(src->entries[0]);
    struct kvm_cpuid2 *c = malloc(bytes);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(c, src, bytes);
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            /* initial APIC ID; logical processors per package; hypervisor bit */
            e->ebx = (e->ebx & 0x0000ffffu) | (v->index << 24) | ((nb_cpus & 0xff) << 16);
            e->ecx |= 1u << 31;
            if (nb_cpus > 1) {
                e->edx |= 1u << 28; /* HTT: the count in EBX is valid */
            }
            break;
        case 0xb:
        case 0x1f:
            e->edx = v->index; /* x2APIC ID */
            break;
        case 0x40000000:
            /* "KVMKVMKVM\0\0\0", and the highest paravirt leaf */
            if (e->eax < 0x40000001) {
                e->eax = 0x40000001;
            }
            e->ebx = 0x4b4d564b;
            e->ecx = 0x564b4d56;
            e->edx = 0x4d;
            break;
        default:
            break;
        }
        for (unsigned k = 0; k < nb_edits; k++) {
            if (cpuid_entry_matches(e, edits[k].function, edits[k].index)) {
                *cpuid_reg(e, edits[k].reg) &= ~edits[k].mask;
            }
            /* Without XSAVE the whole XSAVE leaf goes too: a KVM that keeps
             * the XSAVE bit set (PVM does) still leaves a kernel without
             * FP/SSE state components, and it falls back to FXSAVE. */
            if (edits[k].function == 1 && edits[k].reg == 2 && edits[k].mask == 1u << 26 &&
                e->function == 0xd) {
                e->eax = e->ebx = e->ecx = e->edx = 0;
            }
        }
    }
    int r = ioctl(v->fd, KVM_SET_CPUID2, c);
    free(c);
    return r < 0 ? fail(err, errlen, "KVM_SET_CPUID2", v->index) : 0;
}

/* Sets one MSR if the host lists it; a refusal is not an error. */
static void x86_set_msr(KVMState *s, KVMVcpu *v, uint32_t index, uint64_t value)
{
    if (!kvm_msr_supported(s, index)) {
        if (log_enabled(LOG_UNIMP)) {
            log_printf("kvm: vCPU %u: the host does not list MSR 0x%x; left alone\n", v->index,
                       index);
        }
        return;
    }
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e;
    } m = { .h = { .nmsrs = 1 }, .e = { .index = index, .data = value } };
    if (ioctl(v->fd, KVM_SET_MSRS, &m) != 1 && log_enabled(LOG_UNIMP)) {
        log_printf("kvm: vCPU %u: the host refused MSR 0x%x = 0x%llx\n", v->index, index,
                   (unsigned long long)value);
    }
}

static void x86_setup_msrs(KVMState *s, KVMVcpu *v)
{
    static const uint32_t zeroed[] = {
        0x174, 0x175, 0x176,                /* IA32_SYSENTER_CS/ESP/EIP */
        0xc0000081, 0xc0000082, 0xc0000083, /* STAR, LSTAR, CSTAR */
        0xc0000084, 0xc0000102,             /* SYSCALL_MASK, KERNEL_GS_BASE */
        0x10,                               /* TSC */
    };
    for (size_t i = 0; i < sizeof(zeroed) / sizeof(zeroed[0]); i++) {
        x86_set_msr(s, v, zeroed[i], 0);
    }
    x86_set_msr(s, v, 0x1a0, 1);               /* IA32_MISC_ENABLE: fast strings */
    x86_set_msr(s, v, 0x2ff, (1u << 11) | 6);  /* MTRRdefType: enabled, write-back */
}

/* LINT0 as ExtINT (the PIC in virtual-wire mode), LINT1 as NMI. */
static int x86_setup_lapic(KVMVcpu *v, char *err, size_t errlen)
{
    struct kvm_lapic_state l;
    if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0) {
        return fail(err, errlen, "KVM_GET_LAPIC", v->index);
    }
    uint32_t lint0, lint1;
    memcpy(&lint0, l.regs + 0x350, 4);
    memcpy(&lint1, l.regs + 0x360, 4);
    lint0 = (lint0 & ~0x700u) | (7u << 8);
    lint1 = (lint1 & ~0x700u) | (4u << 8);
    memcpy(l.regs + 0x350, &lint0, 4);
    memcpy(l.regs + 0x360, &lint1, 4);
    if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0) {
        return fail(err, errlen, "KVM_SET_LAPIC", v->index);
    }
    return 0;
}

int x86_cpu_setup(KVMState *s, KVMVcpu *v, unsigned nb_cpus, const X86CpuidEdit *edits,
                  unsigned nb_edits, char *err, size_t errlen)
{
    if (x86_setup_cpuid(s, v, nb_cpus, edits, nb_edits, err, errlen) < 0) {
        return -1;
    }
    x86_setup_msrs(s, v);
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0) {
        return fail(err, errlen, "KVM_SET_FPU", v->index);
    }
    return x86_setup_lapic(v, err, errlen);
}

int x86_cpu_set_boot_state(KVMVcpu *v, const X86BootState *b, char *err, size_t errlen)
{
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0) {
        return fail(err, errlen, "KVM_GET_SREGS", v->index);
    }
    uint64_t gdt[5];
    x86_build_gdt(gdt, b->mode);
    sr.cs = seg_from_gdt(gdt[2], 0x10);
    sr.ds = seg_from_gdt(gdt[3], 0x18);
    sr.es = sr.ds;
    sr.fs = sr.ds;
    sr.gs = sr.ds;
    sr.ss = sr.ds;
    sr.tr = seg_from_gdt(gdt[4], 0x20);
    sr.gdt.base = b->gdt_base;
    sr.gdt.limit = X86_BOOT_GDT_SIZE - 1;
    sr.idt.base = 0;
    sr.idt.limit = 0;
    if (b->mode == X86_BOOT_LONG64) {
        sr.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
        sr.cr3 = b->cr3;
        sr.cr4 = CR4_PAE;
        sr.efer = EFER_LME | EFER_LMA;
    } else {
        sr.cr0 = CR0_PE | CR0_ET;
        sr.cr3 = 0;
        sr.cr4 = 0;
        sr.efer = 0;
    }
    if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0) {
        return fail(err, errlen, "KVM_SET_SREGS", v->index);
    }
    struct kvm_regs r = { .rflags = 2, .rip = b->entry, .rsi = b->rsi, .rbx = b->rbx };
    if (ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
        return fail(err, errlen, "KVM_SET_REGS", v->index);
    }
    return 0;
}

int x86_cpu_inject_int3(KVMVcpu *v)
{
    struct kvm_vcpu_events ev;
    struct kvm_regs r;
    if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0 || ioctl(v->fd, KVM_GET_REGS, &r) < 0) {
        return -1;
    }
    /* The exit leaves RIP on the int3; #BP is a trap, so the guest's
     * handler must see the address after it. */
    r.rip += 1;
    ev.exception.injected = 1;
    ev.exception.nr = 3;
    ev.exception.has_error_code = 0;
    ev.exception.error_code = 0;
    ev.flags = 0;
    if (ioctl(v->fd, KVM_SET_REGS, &r) < 0 || ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
        return -1;
    }
    return 0;
}

void x86_cpu_dump(KVMVcpu *v, const AddressSpace *as)
{
    struct kvm_regs r;
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sr) < 0) {
        fprintf(stderr, "  (vCPU %u: registers unavailable: %s)\n", v->index, strerror(errno));
        return;
    }
    fprintf(stderr,
            "  vCPU %u: rip=%016llx rflags=%08llx cs=%04x (base %llx l=%u db=%u)\n"
            "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
            "  rsi=%016llx rdi=%016llx rsp=%016llx rbp=%016llx\n"
            "  cr0=%llx cr2=%llx cr3=%llx cr4=%llx efer=%llx\n",
            v->index, (unsigned long long)r.rip, (unsigned long long)r.rflags, sr.cs.selector,
            (unsigned long long)sr.cs.base, sr.cs.l, sr.cs.db, (unsigned long long)r.rax,
            (unsigned long long)r.rbx, (unsigned long long)r.rcx, (unsigned long long)r.rdx,
            (unsigned long long)r.rsi, (unsigned long long)r.rdi, (unsigned long long)r.rsp,
            (unsigned long long)r.rbp, (unsigned long long)sr.cr0, (unsigned long long)sr.cr2,
            (unsigned long long)sr.cr3, (unsigned long long)sr.cr4,
            (unsigned long long)sr.efer);
    struct kvm_translation tr = { .linear_address = r.rip };
    if (ioctl(v->fd, KVM_TRANSLATE, &tr) == 0 && tr.valid) {
        uint8_t code[16];
        if (address_space_read(as, tr.physical_address, code, sizeof(code)) == 0) {
            fprintf(stderr, "  code at rip (physical 0x%llx):",
                    (unsigned long long)tr.physical_address);
            for (size_t i = 0; i < sizeof(code); i++) {
                fprintf(stderr, " %02x", code[i]);
            }
            fprintf(stderr, "\n");
        }
    }
}
