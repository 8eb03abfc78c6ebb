/*
 * riscv-virt-harts.c — running the virt machine's harts: one host thread
 * per hart, each in exec_cpu_loop(), turning its exits into traps, waiting
 * in wfi, taking interrupts and acting on the test finisher's requests.
 *
 * The one thing to know: a guest exception raised deep in a slow path
 * arrives here by siglongjmp with the trap already taken; everything else
 * is an Excp returned by exec_cpu_loop. Interrupts and device requests are
 * looked at, under the machine lock, every time the hart comes back here.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "system/riscv-virt-gdb.h"
#include "system/riscv-virt-internal.h"

/* A reboot needs every hart out of translated code: each one that sees
 * the request parks here; the last to arrive resets the machine and
 * releases the others (lock held throughout, except while waiting). */
static void virt_reboot_rendezvous(VirtMachine *m)
{
    if (!m->reboot_pending) {
        m->reboot_pending = true;
        for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
            virt_kick(m, h);
        }
    }
    if (++m->parked < m->cfg.nb_harts) {
        uint64_t gen = m->reboot_generation;
        while (gen == m->reboot_generation && !m->shutdown) {
            pthread_cond_wait(&m->wake, &m->lock);
        }
        return;
    }
    char err[256];
    if (virt_reset(m, err, sizeof(err)) < 0) {
        fprintf(stderr, "mimic-system-riscv64: reboot failed: %s\n", err);
        virt_request_shutdown(m, 1, false, "host-error");
    } else {
        monitor_event_reset(true, "guest-reset");
    }
    m->reboot_pending = false;
    m->parked = 0;
    m->reboot_generation++;
    pthread_cond_broadcast(&m->wake);
}

/* Acts on a poweroff or reset request of the test finisher (lock held);
 * true when the machine stops. */
static bool virt_handle_requests(VirtMachine *m)
{
    if (!m->shutdown && m->test.request == SIFIVE_TEST_RESET && !m->cfg.no_reboot) {
        virt_reboot_rendezvous(m);
    } else if (!m->shutdown && m->test.request != SIFIVE_TEST_NONE) {
        bool poweroff = m->test.request == SIFIVE_TEST_POWEROFF;
        virt_request_shutdown(m, poweroff ? m->test.exit_code : 0, true,
                              poweroff ? "guest-shutdown" : "guest-reset");
    }
    return m->shutdown;
}

/* The trap for an exit of translated code. */
static void virt_trap_for(RISCVCPU *cpu, Excp e)
{
    switch (e) {
    case EXCP_SYSCALL:
        riscv_sys_take_trap(cpu, RISCV_EXCP_ECALL_U + cpu->priv.priv, 0);
        break;
    case EXCP_BREAKPOINT:
        riscv_sys_take_trap(cpu, RISCV_EXCP_BREAKPOINT, cpu->cs.pc);
        break;
    case EXCP_ILLEGAL:
        riscv_sys_take_trap(cpu, RISCV_EXCP_ILLEGAL_INST, 0);
        break;
    case EXCP_FETCH_FAULT:
        /* The second half of an instruction that crosses into a page
         * that cannot be fetched (the first page was checked). */
        riscv_sys_take_trap(cpu, RISCV_EXCP_INST_PAGE_FAULT,
                            (cpu->cs.pc | (SOFTMMU_PAGE_SIZE - 1)) + 1);
        break;
    default:
        break;
    }
}

/* Something new for a hart that polls with wfi: a kick (a line rising, a
 * request) or a write of 1 to its msip. */
static uint64_t virt_hart_events(VirtMachine *m, unsigned hart)
{
    return m->hart_events[hart] + m->clint.msip_sets[hart];
}

/* Whether a hart other than self runs firmware (M-mode) now, outside a
 * wfi wait (racy by design: a hint). */
static bool virt_others_in_firmware(VirtMachine *m, unsigned self)
{
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        if (h != self && !m->hart_waiting[h] &&
            __atomic_load_n(&m->harts[h]->priv.priv, __ATOMIC_RELAXED) == PRV_M) {
            return true;
        }
    }
    return false;
}

/* A wfi that returns at once because an interrupt is already pending: the
 * hart resumes, as the spec asks; but one that does so again and again at
 * the same pc without taking a trap is polling memory, and after
 * WFI_POLL_THRESHOLD times it waits for something new for it first.
 * OpenSBI 1.1 waits for HSM hart_start that way, with the cold-boot IPI
 * still pending, and its hart_start publishes the state before the start
 * address: a poller that runs between the two boots the wrong address
 * (docs/system.md, "wfi polling"). The IPI that follows the address is the
 * event that ends the wait. So that a guest polling memory without IPIs
 * still goes on, the wait also ends after WFI_POLL_MIN_NS — but only while
 * no other hart runs firmware, since a hart descheduled by the host between
 * those two writes is in M-mode — and in any case after WFI_POLL_MAX_NS.
 * Lock held. */
static void virt_wfi_poll(VirtMachine *m, RISCVCPU *cpu)
{
    unsigned h = (unsigned)cpu->priv.mhartid;
    if (cpu->cs.pc != m->wfi_poll_pc[h] || cpu->nb_traps != m->wfi_poll_traps[h]) {
        m->wfi_poll_pc[h] = cpu->cs.pc;
        m->wfi_poll_traps[h] = cpu->nb_traps;
        m->wfi_polls[h] = 0;
    }
    if (++m->wfi_polls[h] < WFI_POLL_THRESHOLD) {
        return;
    }
    uint64_t seen = virt_hart_events(m, h);
    uint64_t start = m->clint.clock_ns();
    m->hart_waiting[h] = true;
    while (virt_hart_events(m, h) == seen && !m->shutdown && !m->reboot_pending &&
           m->test.request == SIFIVE_TEST_NONE && !m->pause_req) {
        uint64_t waited = m->clint.clock_ns() - start;
        if (waited >= WFI_POLL_MAX_NS ||
            (waited >= WFI_POLL_MIN_NS && !virt_others_in_firmware(m, h))) {
            break;
        }
        uint64_t until = start + waited + WFI_POLL_SLICE_NS;
        struct timespec ts = { (time_t)(until / 1000000000), (long)(until % 1000000000) };
        pthread_cond_timedwait(&m->wake, &m->lock, &ts);
    }
    m->hart_waiting[h] = false;
}

/* wfi: sleeps until an interrupt is pending in mie or the machine stops.
 * Interrupt sources wake the hart through m->wake; the wait is also
 * bounded by the next timer deadline, so a timer interrupt does not
 * depend on the I/O thread alone. */
static void virt_wfi_wait(VirtMachine *m, RISCVCPU *cpu)
{
    pthread_mutex_lock(&m->lock);
    virt_sync_timers(m);
    if (riscv_sys_wfi_wakeup(cpu)) {
        virt_wfi_poll(m, cpu);
        pthread_mutex_unlock(&m->lock);
        return;
    }
    m->hart_waiting[cpu->priv.mhartid] = true;
    while (!riscv_sys_wfi_wakeup(cpu) && !m->shutdown && m->test.request == SIFIVE_TEST_NONE &&
           !m->pause_req) {
        uint64_t deadline = m->timer_deadline;
        if (deadline == UINT64_MAX) {
            pthread_cond_wait(&m->wake, &m->lock);
        } else {
            struct timespec ts = { (time_t)(deadline / 1000000000),
                                   (long)(deadline % 1000000000) };
            pthread_cond_timedwait(&m->wake, &m->lock, &ts);
        }
        virt_sync_timers(m);
    }
    m->hart_waiting[cpu->priv.mhartid] = false;
    pthread_mutex_unlock(&m->lock);
}

static void virt_hart_loop(VirtMachine *m, RISCVCPU *cpu)
{
    CPUState *cs = &cpu->cs;
    sigjmp_buf landing;
    riscv_sys_current = cpu;
    pthread_mutex_lock(&m->lock);
    m->hart_tid[cpu->priv.mhartid] = gettid();
    pthread_mutex_unlock(&m->lock);
    cs->fault_jmp = &landing;
    exec_cpu_register(cs);
    if (sigsetjmp(landing, 0)) {
        exec_cpu_end(cs); /* a slow path raised; the trap is taken */
    }
    for (;;) {
        pthread_mutex_lock(&m->lock);
        __atomic_store_n(&cs->exit_request, 0, __ATOMIC_RELAXED);
        if (m->pause_req && !m->reboot_pending && !m->shutdown) {
            /* Stopped by the monitor: wait outside translated code, then
             * look at the requests again. A reboot that has begun gathering
             * is finished first (its harts wait for this one); one not yet
             * begun waits for cont. */
            virt_park_hart(m);
            pthread_mutex_unlock(&m->lock);
            continue;
        }
        if (virt_gdb_hold(m, (unsigned)cpu->priv.mhartid)) {
            pthread_mutex_unlock(&m->lock);
            continue;
        }
        if (virt_handle_requests(m)) {
            pthread_mutex_unlock(&m->lock);
            break;
        }
        virt_sync_timers(m);
        if (!cs->debug_step) { /* a debugger's step runs the instruction at pc */
            riscv_sys_take_interrupt(cpu);
        }
        pthread_mutex_unlock(&m->lock);

        Excp e = exec_cpu_loop(cs);
        if (e == EXCP_HALT) {
            virt_wfi_wait(m, cpu);
        } else if (e == EXCP_DEBUG) {
            virt_gdb_debug_exit(m, (unsigned)cpu->priv.mhartid);
        } else if (e == EXCP_SEGV || e == EXCP_BUS) {
            fprintf(stderr, "mimic-system-riscv64: internal error: user-mode fault exit %d "
                            "at pc 0x%llx\n", (int)e, (unsigned long long)cs->pc);
            abort();
        } else {
            virt_trap_for(cpu, e);
        }
    }
    exec_cpu_unregister(cs);
}

typedef struct HartArg {
    VirtMachine *m;
    unsigned hart;
} HartArg;

static void *virt_hart_thread(void *opaque)
{
    HartArg *a = opaque;
    virt_hart_loop(a->m, a->m->harts[a->hart]);
    return NULL;
}

int virt_run(VirtMachine *m)
{
    pthread_mutex_lock(&m->lock);
    if (m->runstate != MON_RUNSTATE_PRELAUNCH) {
        /* -incoming has set the run state already */
    } else if (m->cfg.start_paused) {
        /* -S: the harts park at once; the guest's clock starts at cont. */
        m->pause_req = true;
        m->runstate = MON_RUNSTATE_PRELAUNCH;
        m->stop_mtime = clint_mtime(&m->clint);
        for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
            if (m->net[i]) {
                virtio_net_set_vm_stopped(m->net[i], true);
            }
        }
    } else {
        m->runstate = MON_RUNSTATE_RUNNING;
    }
    pthread_mutex_unlock(&m->lock);
    if (event_loop_start_thread(m->el) < 0) {
        fprintf(stderr, "mimic-system-riscv64: cannot start the I/O thread\n");
        return 1;
    }
    pthread_t threads[VIRT_MAX_HARTS];
    HartArg args[VIRT_MAX_HARTS];
    for (unsigned h = 1; h < m->cfg.nb_harts; h++) {
        args[h] = (HartArg){ m, h };
        if (pthread_create(&threads[h], NULL, virt_hart_thread, &args[h])) {
            fprintf(stderr, "mimic-system-riscv64: cannot start hart %u\n", h);
            exit(1);
        }
    }
    virt_hart_loop(m, m->harts[0]);
    for (unsigned h = 1; h < m->cfg.nb_harts; h++) {
        pthread_join(threads[h], NULL);
    }
    event_loop_stop_thread(m->el);
    return m->exit_status;
}
