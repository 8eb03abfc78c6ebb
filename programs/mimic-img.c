/*
 * mimic-img.c — the disk image tool, command-compatible with qemu-img for
 * the subcommands it has (create, info, check, convert, resize, compare,
 * snapshot, amend, map, commit, rebase, measure, bench).
 *
 * The one thing to know: this file only dispatches; each subcommand lives
 * in tools/img/NAME.c and returns qemu-img's exit status.
 */
#include <stdio.h>
#include <string.h>

#include "tools/img/img.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
} commands[] = {
    { "create", img_create,
      "create [-f fmt] [-o options] [-b backing_file [-F backing_fmt]] [-u] filename [size]" },
    { "info", img_info, "info [-f fmt] [--output=human|json] [--backing-chain] filename" },
    { "check", img_check, "check [-f fmt] [-r leaks|all] [--output=human|json] [-q] filename" },
    { "convert", img_convert,
      "convert [-f fmt] [-O output_fmt] [-o options] [-c] [-n] [-p] [-t cache] [-T src_cache] [-m num] [-W] filename output_filename" },
    { "resize", img_resize, "resize [-f fmt] [-q] filename [+]size" },
    { "compare", img_compare, "compare [-f fmt] [-F fmt] [-p] [-q] [-s] filename1 filename2" },
    { "snapshot", img_snapshot,
      "snapshot [-f fmt] [-l | -a snapshot | -c snapshot | -d snapshot] filename" },
    { "amend", img_amend, "amend [-f fmt] -o compat=0.10|1.1,lazy_refcounts=on|off filename" },
    { "map", img_map,
      "map [-f fmt] [--start-offset=offset] [--max-length=len] [--output=human|json] "
      "filename" },
    { "commit", img_commit, "commit [-q] [-f fmt] [-t cache] [-b base] [-d] [-p] filename" },
    { "rebase", img_rebase,
      "rebase [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] -b backing_file "
      "[-F backing_fmt] filename" },
    { "measure", img_measure,
      "measure [--output=human|json] [-O output_fmt] [-o options] [--size N | [-f fmt] "
      "filename]" },
    { "bench", img_bench,
      "bench [-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] [-o offset] "
      "[--pattern=pattern] [-s buffer_size] [-S step_size] [-t cache] [-w] filename" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: mimic-img COMMAND [options]\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %s\n", commands[i].usage);
    }
    fprintf(f, "\nFormats: raw qcow2 qcow vmdk vdi vpc. Sizes take k, M, G, T, P or E suffixes.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        img_error("Not enough arguments; try 'mimic-img --help'");
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (!strcmp(argv[1], commands[i].name)) {
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    img_error("Command not found: %s", argv[1]);
    return 1;
}
