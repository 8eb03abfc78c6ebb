#!/usr/bin/env python3
"""fdt-vs-qemu.py — compares mimic's generated `virt` device tree with the one
QEMU's own virt machine produces (qemu-system-riscv64 -machine virt,dumpdtb=),
the oracle.

Every node mimic emits must exist in QEMU's tree with the same properties and
values, except properties that describe a different CPU (riscv,isa, mmu-type)
or identify the emulator (model). Phandle-valued properties are compared by
the paths they point to. Also checks that /chosen/bootargs carries -append.

The one thing to know: it uses fdtget (package device-tree-compiler); exit 77
(skipped) when qemu-system-riscv64 or fdtget is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SKIP_PROPS = {"riscv,isa", "mmu-type", "model", "phandle"}
# Properties made of (phandle, cells...) groups: name -> cells per group.
PHANDLE_PROPS = {"interrupt-parent": 1, "regmap": 1, "interrupts-extended": 2}


def fdtget(*args):
    return subprocess.run(["fdtget", *args], capture_output=True, text=True, check=True).stdout


def nodes(dtb, path="/"):
    out = [path]
    for child in fdtget("-l", dtb, path).split():
        out += nodes(dtb, (path.rstrip("/") + "/" + child))
    return out


def props(dtb, path):
    return fdtget("-p", dtb, path).split()


def value(dtb, path, prop):
    return fdtget("-t", "bx", dtb, path, prop).split()


def phandle_paths(dtb):
    table = {}
    for n in nodes(dtb):
        if "phandle" in props(dtb, n):
            table[int(fdtget("-t", "x", dtb, n, "phandle").strip(), 16)] = n
    return table


def cells(raw):
    b = bytes(int(x, 16) for x in raw)
    return [int.from_bytes(b[i:i + 4], "big") for i in range(0, len(b), 4)]


def resolve(dtb, table, path, prop):
    c = cells(value(dtb, path, prop))
    stride = PHANDLE_PROPS[prop]
    return [table.get(x, "?") if i % stride == 0 else x for i, x in enumerate(c)]


def main():
    dump = sys.argv[1]
    for tool in ("qemu-system-riscv64", "fdtget"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found (install the packages scripts/setup.sh lists)")
            return 77
    tmp = tempfile.mkdtemp(prefix="mimic-fdt-")
    try:
        failures = 0
        kernel = os.path.join(tmp, "kernel.bin")  # -append needs a -kernel; its contents do not matter
        with open(kernel, "wb") as f:
            f.write(bytes(4096))
        for harts, mib in ((1, 128), (2, 256), (4, 1024)):
            ours, theirs = os.path.join(tmp, "ours.dtb"), os.path.join(tmp, "qemu.dtb")
            subprocess.run([dump, ours, str(harts), str(mib), "console=ttyS0"], check=True)
            subprocess.run(["qemu-system-riscv64", "-machine", f"virt,dumpdtb={theirs}",
                            "-smp", str(harts), "-m", f"{mib}M", "-nographic",
                            "-kernel", kernel, "-append", "console=ttyS0"],
                           check=True, capture_output=True)
            qnodes = set(nodes(theirs))
            our_table, their_table = phandle_paths(ours), phandle_paths(theirs)
            for n in nodes(ours):
                if n not in qnodes:
                    print(f"{harts} harts: node {n} is not in QEMU's tree")
                    failures += 1
                    continue
                qprops = set(props(theirs, n))
                for p in props(ours, n):
                    if p in SKIP_PROPS:
                        continue
                    if p not in qprops:
                        print(f"{harts} harts: {n}: property {p} is not in QEMU's tree")
                        failures += 1
                    elif p in PHANDLE_PROPS:
                        a, b = resolve(ours, our_table, n, p), resolve(theirs, their_table, n, p)
                        if a != b:
                            print(f"{harts} harts: {n}: {p} = {a}, QEMU has {b}")
                            failures += 1
                    elif value(ours, n, p) != value(theirs, n, p):
                        print(f"{harts} harts: {n}: {p} differs: {value(ours, n, p)} vs "
                              f"{value(theirs, n, p)}")
                        failures += 1
            print(f"{harts} harts, {mib} MiB: {len(nodes(ours))} nodes compared")
        print("PASS" if failures == 0 else f"FAIL: {failures} differences")
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
