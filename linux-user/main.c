/*
 * main.c — the mimic-riscv64 command line (qemu-user compatible), and the
 * start-up sequence: guest window, ELF (and interpreter), stack, CPU, run.
 *
 * The one thing to know: options end at the first argument that does not
 * start with '-'; that argument is the program and everything after it
 * belongs to the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux-user/cpu-loop.h"
#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/host-signal.h"
#include "linux-user/linux-user.h"
#include "linux-user/loader.h"
#include "linux-user/gdb.h"
#include "linux-user/proc-self.h"
#include "linux-user/syscall.h"
#include "mimic/log.h"

#define PROG "mimic-riscv64"
#define MIMIC_VERSION "0.1.0" /* keep in step with project() in meson.build */

extern char **environ;

typedef struct EnvEdit {
    const char *text;  /* "VAR=value" to set, or "VAR" to unset */
    bool unset;
} EnvEdit;

typedef struct Options {
    const char *ld_prefix;
    const char *log_path;
    const char *argv0;
    unsigned log_mask;
    bool interp;
    unsigned tb_size_mib; /* JIT code buffer; 0: the backend's default */
    bool one_insn;
    bool no_chain;
    EnvEdit *env_edits;
    int nb_env_edits;
    int prog_index;    /* index in argv of the guest program */
    const char *gdb;   /* -g: wait for gdb on this port */
} Options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " [options] program [arguments...]\n"
            "Linux RISC-V 64 user-mode emulator\n"
            "\n"
            "Options (may also be written with --):\n"
            "  -h, -help             print this help and exit\n"
            "  -version              print the version and exit\n"
            "  -L path               guest sysroot for the ELF interpreter and libraries\n"
            "                        (env QEMU_LD_PREFIX)\n"
            "  -E var=value          set a variable in the guest environment (repeatable)\n"
            "  -U var                remove a variable from the guest environment (repeatable)\n"
            "  -0 argv0              pass argv0 as the program's argv[0]\n"
            "  -cpu model            CPU model: rv64, any, max (-cpu help lists them)\n"
            "  -d item[,...]         enable logging of items (-d help lists them)\n"
            "  -D logfile            write the log to logfile instead of stderr\n"
            "  -strace               log system calls (env QEMU_STRACE)\n"
            "  -accel tcg[,backend=jit|interp][,tb-size=MiB]\n"
            "                        code generator backend (env MIMIC_BACKEND; default jit)\n"
            "                        and size of the translated-code buffer (default 256)\n"
            "  -one-insn-per-tb      translate one guest instruction per block\n"
            "  -nochain              never chain translated blocks\n"
            "  -g port               wait for gdb on TCP port (or tcp:HOST:PORT) before\n"
            "                        the first instruction (env QEMU_GDB)\n"
            "\n"
            "The exit status is the guest program's.\n");
}

static __attribute__((noreturn)) void die_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static void parse_cpu(const char *name)
{
    static const char *const models[] = { "rv64", "any", "max" };
    if (strcmp(name, "help") == 0) {
        printf("Available CPUs:\n");
        for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
            printf("  %s\n", models[i]);
        }
        exit(0);
    }
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (strcmp(name, models[i]) == 0) {
            return;
        }
    }
    die_usage("unknown CPU model '%s' (try -cpu help)", name);
}

static bool parse_backend(const char *name, bool *interp)
{
    if (strcmp(name, "jit") == 0) {
        *interp = false;
    } else if (strcmp(name, "interp") == 0) {
        *interp = true;
    } else {
        return false;
    }
    return true;
}

static void parse_accel(const char *spec, Options *o)
{
    if (strncmp(spec, "tcg", 3) != 0 || (spec[3] && spec[3] != ',')) {
        die_usage("unsupported accelerator '%s' (only tcg)", spec);
    }
    for (const char *p = spec[3] ? spec + 4 : spec + 3; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (len >= sizeof(item)) {
            die_usage("bad -accel property in '%s'", spec);
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (strncmp(item, "tb-size=", 8) == 0) {
            char *end;
            unsigned long mib = strtoul(item + 8, &end, 10);
            if (end == item + 8 || *end || mib < 1 || mib > 2048) {
                die_usage("bad -accel tb-size in '%s' (1 to 2048 MiB)", item);
            }
            o->tb_size_mib = (unsigned)mib;
        } else if (strncmp(item, "backend=", 8) != 0 || !parse_backend(item + 8, &o->interp)) {
            die_usage("bad -accel property '%s' (backend=jit|interp, tb-size=MiB)", item);
        }
        p += len + (comma ? 1 : 0);
    }
}

static void parse_log(const char *spec, Options *o)
{
    if (strcmp(spec, "help") == 0) {
        log_print_categories(stdout);
        exit(0);
    }
    char err[128];
    unsigned mask;
    if (log_parse_mask(spec, &mask, err, sizeof(err)) < 0) {
        die_usage("%s", err);
    }
    o->log_mask |= mask;
}

static void add_env_edit(Options *o, const char *text, bool unset)
{
    EnvEdit *e = realloc(o->env_edits, (size_t)(o->nb_env_edits + 1) * sizeof(*e));
    if (!e) {
        die_usage("%s", strerror(ENOMEM));
    }
    o->env_edits = e;
    e[o->nb_env_edits++] = (EnvEdit){ text, unset };
}

/* True for the options that take an argument (opt without its dashes). */
static bool option_has_arg(const char *opt)
{
    static const char *const with_arg[] = { "L", "E", "U", "0", "cpu", "d", "D", "accel", "g" };
    for (size_t k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++) {
        if (strcmp(opt, with_arg[k]) == 0) {
            return true;
        }
    }
    return false;
}

static void parse_options(int argc, char **argv, Options *o)
{
    const char *s = getenv("QEMU_LD_PREFIX");
    o->ld_prefix = s && *s ? s : NULL;
    s = getenv("QEMU_GDB");
    o->gdb = s && *s ? s : NULL;
    if (getenv("QEMU_STRACE")) {
        o->log_mask |= LOG_STRACE;
    }
    s = getenv("MIMIC_BACKEND");
    if (s && !parse_backend(s, &o->interp)) {
        die_usage("bad MIMIC_BACKEND '%s' (jit or interp)", s);
    }
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *opt = argv[i] + 1;
        if (*opt == '-') {
            opt++;
        }
        if (!*opt) { /* "--" ends the options */
            i++;
            break;
        }
        const char *arg = NULL;
        if (option_has_arg(opt)) {
            if (i + 1 >= argc) {
                die_usage("option '%s' needs an argument", argv[i]);
            }
            arg = argv[++i];
        }
        if (!strcmp(opt, "h") || !strcmp(opt, "help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(opt, "version")) {
            printf(PROG " version " MIMIC_VERSION "\n");
            exit(0);
        } else if (!strcmp(opt, "L")) {
            o->ld_prefix = arg;
        } else if (!strcmp(opt, "E")) {
            if (!strchr(arg, '=')) {
                die_usage("-E needs var=value, not '%s'", arg);
            }
            add_env_edit(o, arg, false);
        } else if (!strcmp(opt, "U")) {
            add_env_edit(o, arg, true);
        } else if (!strcmp(opt, "0")) {
            o->argv0 = arg;
        } else if (!strcmp(opt, "cpu")) {
            parse_cpu(arg);
        } else if (!strcmp(opt, "d")) {
            parse_log(arg, o);
        } else if (!strcmp(opt, "D")) {
            o->log_path = arg;
        } else if (!strcmp(opt, "accel")) {
            parse_accel(arg, o);
        } else if (!strcmp(opt, "strace")) {
            o->log_mask |= LOG_STRACE;
        } else if (!strcmp(opt, "one-insn-per-tb") || !strcmp(opt, "singlestep")) {
            o->one_insn = true;
        } else if (!strcmp(opt, "g")) {
            o->gdb = arg;
        } else if (!strcmp(opt, "nochain")) {
            o->no_chain = true;
        } else {
            die_usage("unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        usage(stderr);
        exit(1);
    }
    o->prog_index = i;
}

/* Length of the name part of "VAR=value" (or of "VAR"). */
static size_t env_name_len(const char *s)
{
    const char *eq = strchr(s, '=');
    return eq ? (size_t)(eq - s) : strlen(s);
}

/* The guest environment: the host's, edited by -E/-U in order. */
static char **build_guest_env(const Options *o)
{
    size_t n = 0;
    while (environ[n]) {
        n++;
    }
    char **env = calloc(n + (size_t)o->nb_env_edits + 1, sizeof(char *));
    if (!env) {
        return NULL;
    }
    memcpy(env, environ, n * sizeof(char *));
    for (int k = 0; k < o->nb_env_edits; k++) {
        const EnvEdit *e = &o->env_edits[k];
        size_t len = env_name_len(e->text);
        size_t j = 0;
        while (j < n && !(env_name_len(env[j]) == len && !strncmp(env[j], e->text, len))) {
            j++;
        }
        if (e->unset) {
            if (j < n) {
                memmove(&env[j], &env[j + 1], (n - j) * sizeof(char *));
                n--;
            }
        } else {
            env[j] = (char *)e->text;
            n += j == n;
        }
    }
    env[n] = NULL;
    return env;
}

/* What an execve'd guest program inherits: mimic itself and the options
 * before the program, except those about this program's argv0 and
 * environment (the guest passes its own); -L is passed explicitly so that
 * QEMU_LD_PREFIX in a changed environment cannot override it. */
static void save_exec_options(int argc, char **argv, const Options *o)
{
    if (!realpath("/proc/self/exe", linux_process.emulator_path)) {
        snprintf(linux_process.emulator_path, sizeof(linux_process.emulator_path), "%s", argv[0]);
    }
    char **v = calloc((size_t)argc + 2, sizeof(char *));
    if (!v) {
        return;
    }
    int n = 0;
    if (o->ld_prefix) {
        v[n++] = "-L";
        v[n++] = (char *)o->ld_prefix;
    }
    for (int i = 1; i < o->prog_index; i++) {
        const char *opt = argv[i] + 1 + (argv[i][1] == '-');
        bool has_arg = option_has_arg(opt) && i + 1 < o->prog_index;
        bool drop = !strcmp(opt, "0") || !strcmp(opt, "E") || !strcmp(opt, "U") ||
                    !strcmp(opt, "L") || !*opt;
        if (!drop) {
            v[n++] = argv[i];
            if (has_arg) {
                v[n++] = argv[i + 1];
            }
        }
        i += has_arg;
    }
    linux_process.exec_options = v;
    linux_process.nb_exec_options = n;
}

static __attribute__((noreturn)) void die_load(const char *prog, const char *err)
{
    fprintf(stderr, PROG ": %s: %s\n", prog, err);
    exit(1);
}

int linux_user_main(int argc, char **argv)
{
    Options o = { 0 };
    parse_options(argc, argv, &o);
    if (o.log_path && log_open_file(o.log_path) < 0) {
        fprintf(stderr, PROG ": cannot open log file %s: %s\n", o.log_path, strerror(errno));
        return 1;
    }
    log_mask = o.log_mask;
    const char *prog = argv[o.prog_index];
    linux_process.ld_prefix = o.ld_prefix;
    save_exec_options(argc, argv, &o);
    if (!realpath(prog, linux_process.exe_path)) {
        snprintf(linux_process.exe_path, sizeof(linux_process.exe_path), "%s", prog);
    }

    int r = guest_memory_init();
    if (r < 0) {
        fprintf(stderr, PROG ": cannot reserve the guest address space: %s\n", strerror(-r));
        return 1;
    }
    char err[512];
    static ElfImage exe, interp;
    if (elf_load_file(prog, 0, &exe, err, sizeof(err)) < 0) {
        die_load(prog, err);
    }
    proc_self_add_image(exe.start, exe.end, linux_process.exe_path);
    bool dynamic = exe.interp[0] != '\0';
    if (dynamic) {
        char buf[PATH_MAX];
        const char *path = path_map(exe.interp, buf);
        if (elf_load_file(path, 1, &interp, err, sizeof(err)) < 0) {
            fprintf(stderr, PROG ": %s: cannot load the interpreter %s: %s%s\n", prog, path, err,
                    o.ld_prefix ? "" : " (set the guest sysroot with -L or QEMU_LD_PREFIX)");
            return 1;
        }
        proc_self_add_image(interp.start, interp.end, path);
    }
    guest_brk_init(guest_page_align(exe.end));
    r = signal_trampoline_init();
    if (r < 0) {
        die_load(prog, strerror(-r));
    }

    char **guest_argv = &argv[o.prog_index];
    if (o.argv0) {
        guest_argv[0] = (char *)o.argv0;
    }
    char **env = build_guest_env(&o);
    if (!env) {
        die_load(prog, strerror(ENOMEM));
    }
    StackInfo si = { argc - o.prog_index, guest_argv, env, prog, &exe, dynamic ? &interp : NULL };
    uint64_t sp = stack_setup(&si, err, sizeof(err));
    if (!sp) {
        die_load(prog, err);
    }
    free(env);
    proc_self_init(sp);

    RISCVCPU *cpu = calloc(1, sizeof(*cpu));
    LinuxTask *task = calloc(1, sizeof(*task));
    if (!cpu || !task) {
        die_load(prog, strerror(ENOMEM));
    }
    riscv_cpu_reset(cpu);
    cpu->cs.pc = dynamic ? interp.entry : exe.entry;
    cpu->x[RV_REG_SP] = sp;
    task->cpu = &cpu->cs;
    task->tid = gettid();
    cpu->cs.opaque = task;

    ExecConfig cfg = {
        .backend = o.interp ? &backend_interp : &backend_x86_64,
        .target = &target_riscv64,
        .max_insns = o.one_insn ? 1 : 0,
        .no_chain = o.no_chain,
        .memory_lock = mmap_lock,
        .memory_unlock = mmap_unlock,
    };
    if (o.tb_size_mib && !o.interp && code_buffer_init((size_t)o.tb_size_mib << 20) < 0) {
        fprintf(stderr, PROG ": cannot allocate a %u MiB code buffer: %s\n", o.tb_size_mib,
                strerror(errno));
        return 1;
    }
    exec_init(&cfg);
    if (host_signal_init() < 0 || host_signal_init_thread(&cpu->cs) < 0) {
        fprintf(stderr, PROG ": cannot install fault handlers: %s\n", strerror(errno));
        return 1;
    }
    signal_host_set_task(task);
    signal_host_inherit(task);
    exec_cpu_register(&cpu->cs);
    if (o.gdb && gdb_user_start(o.gdb, &cpu->cs) < 0) {
        return 1;
    }
    riscv_cpu_loop(task);
}
