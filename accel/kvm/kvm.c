/*
 * kvm.c — /dev/kvm, the VM, its memory slots, the in-kernel irqchip and
 * PIT, and vCPU creation.
 *
 * The one thing to know: the x86 VM needs three pages of guest-physical
 * address space that are neither RAM nor MMIO for the TSS and the EPT
 * identity map (Intel without unrestricted guest); they sit just below
 * the 4 GiB boundary, above every device of the microvm layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/kvm.h"

#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull /* one page */
#define KVM_TSS_ADDR 0xfeffd000ull          /* three pages */

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, strerror(errno));
    return -1;
}

static int kvm_get_supported_cpuid(KVMState *s, char *err, size_t errlen)
{
    for (unsigned n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
        if (!c) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->nent = n;
        if (ioctl(s->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            s->cpuid = c;
            return 0;
        }
        free(c);
        if (errno != E2BIG) {
            return fail(err, errlen, "KVM_GET_SUPPORTED_CPUID");
        }
    }
    snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: too many entries");
    return -1;
}

static int kvm_get_msr_list(KVMState *s, char *err, size_t errlen)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    if (ioctl(s->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
        return fail(err, errlen, "KVM_GET_MSR_INDEX_LIST");
    }
    struct kvm_msr_list *l = calloc(1, sizeof(*l) + (probe.nmsrs + 16) * sizeof(uint32_t));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->nmsrs = probe.nmsrs + 16;
    if (ioctl(s->kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
        free(l);
        return fail(err, errlen, "KVM_GET_MSR_INDEX_LIST");
    }
    s->nb_msrs = l->nmsrs;
    s->msr_list = malloc((l->nmsrs + 1) * sizeof(uint32_t));
    if (!s->msr_list) {
        free(l);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(s->msr_list, l->indices, l->nmsrs * sizeof(uint32_t));
    free(l);
    return 0;
}

bool kvm_host_is_pvm(void)
{
    return access("/sys/module/kvm_pvm", F_OK) == 0;
}

bool kvm_msr_supported(const KVMState *s, uint32_t msr)
{
    for (unsigned i = 0; i < s->nb_msrs; i++) {
        if (s->msr_list[i] == msr) {
            return true;
        }
    }
    return false;
}

int kvm_open(KVMState *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->vm_fd = -1;
    s->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (s->kvm_fd < 0) {
        return fail(err, errlen, "/dev/kvm");
    }
    int v = ioctl(s->kvm_fd, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_VERSION) {
        snprintf(err, errlen, "/dev/kvm: API version %d, expected %d", v, KVM_API_VERSION);
        goto out;
    }
    static const struct { int cap; const char *name; } caps[] = {
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
        { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
        { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
        { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        if (ioctl(s->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
            snprintf(err, errlen, "/dev/kvm: the host lacks %s", caps[i].name);
            goto out;
        }
    }
    s->immediate_exit = ioctl(s->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0;
    int size = ioctl(s->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run)) {
        fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE");
        goto out;
    }
    s->run_size = (size_t)size;
    if (kvm_get_supported_cpuid(s, err, errlen) < 0 || kvm_get_msr_list(s, err, errlen) < 0) {
        goto out;
    }
    return 0;
out:
    kvm_close(s);
    return -1;
}

int kvm_vm_create(KVMState *s, char *err, size_t errlen)
{
    s->nb_slots = 0;
    s->vm_fd = ioctl(s->kvm_fd, KVM_CREATE_VM, 0);
    if (s->vm_fd < 0) {
        return fail(err, errlen, "KVM_CREATE_VM");
    }
    uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
    if (ioctl(s->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0) {
        return fail(err, errlen, "KVM_SET_IDENTITY_MAP_ADDR");
    }
    if (ioctl(s->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        return fail(err, errlen, "KVM_SET_TSS_ADDR");
    }
    if (ioctl(s->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        return fail(err, errlen, "KVM_CREATE_IRQCHIP");
    }
    struct kvm_pit_config pit = { .flags = 0 };
    if (ioctl(s->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        return fail(err, errlen, "KVM_CREATE_PIT2");
    }
    return 0;
}

int kvm_vm_add_ram(KVMState *s, uint64_t gpa, uint64_t size, void *host, char *err,
                   size_t errlen)
{
    struct kvm_userspace_memory_region r = {
        .slot = s->nb_slots,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)host,
    };
    if (ioctl(s->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION");
    }
    s->nb_slots++;
    return 0;
}

void kvm_set_irq(KVMState *s, unsigned gsi, int level)
{
    struct kvm_irq_level l = { .irq = gsi, .level = level != 0 };
    /* Cannot fail for a valid gsi on a VM with an irqchip; nothing to do
     * if it did. */
    (void)ioctl(s->vm_fd, KVM_IRQ_LINE, &l);
}

void kvm_vm_destroy(KVMState *s)
{
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
        s->vm_fd = -1;
    }
}

void kvm_close(KVMState *s)
{
    kvm_vm_destroy(s);
    if (s->kvm_fd >= 0) {
        close(s->kvm_fd);
        s->kvm_fd = -1;
    }
    free(s->cpuid);
    s->cpuid = NULL;
    free(s->msr_list);
    s->msr_list = NULL;
}

int kvm_vcpu_create(KVMState *s, KVMVcpu *v, unsigned index, char *err, size_t errlen)
{
    v->index = index;
    v->run = NULL;
    v->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0) {
        return fail(err, errlen, "KVM_CREATE_VCPU");
    }
    void *p = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (p == MAP_FAILED) {
        close(v->fd);
        v->fd = -1;
        return fail(err, errlen, "mmap of the vCPU's kvm_run");
    }
    v->run = p;
    return 0;
}

void kvm_vcpu_destroy(KVMState *s, KVMVcpu *v)
{
    if (v->run) {
        munmap(v->run, s->run_size);
        v->run = NULL;
    }
    if (v->fd >= 0) {
        close(v->fd);
        v->fd = -1;
    }
}
