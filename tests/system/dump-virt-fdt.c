/*
 * dump-virt-fdt.c — writes the `virt` machine's generated device tree to a
 * file, for tests/system/fdt-vs-qemu.py.
 * Usage: dump-virt-fdt OUT.dtb HARTS RAM_MIB [BOOTARGS]
 */
#include <stdio.h>
#include <stdlib.h>

#include <libfdt.h>

#include "system/riscv-virt-fdt.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT.dtb HARTS RAM_MIB [BOOTARGS]\n", argv[0]);
        return 2;
    }
    VirtFdtConfig cfg = {
        .nb_harts = (unsigned)atoi(argv[2]),
        .ram_size = (uint64_t)atoll(argv[3]) << 20,
        .isa = "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbs_sstc",
        .mmu_type = "riscv,sv57",
        .bootargs = argc > 4 ? argv[4] : NULL,
    };
    static char buf[64 * 1024];
    int r = virt_fdt_build(&cfg, buf, sizeof(buf));
    if (r < 0) {
        fprintf(stderr, "%s: cannot build the device tree (%d)\n", argv[0], r);
        return 1;
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(buf, 1, fdt_totalsize(buf), f) != fdt_totalsize(buf) || fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
