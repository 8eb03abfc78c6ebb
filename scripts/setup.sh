#!/bin/bash
# setup.sh — installs the Debian 12 packages that building, testing and the
# demo need, and only those that are missing.
#
# The one thing to know: it runs on every `make` (dpkg-query takes a few
# milliseconds), so removing a package is noticed; the stamp only keeps
# repeated runs quiet. Not root and something missing: it says what to run
# and exits 1.
# Usage: scripts/setup.sh [BUILD_DIR]   (where the stamp goes; default build)
#        scripts/setup.sh --deb-src      (only adds a deb-src entry if missing)
set -euo pipefail

# package: why it is needed
PACKAGES=(
    "meson:build system"
    "ninja-build:build backend"
    "gcc:host C compiler (with ASan/UBSan runtimes)"
    "pkg-config:finds libraries for meson"
    "python3:test runners and the differential tester"
    "libcmocka-dev:C unit tests"
    "libcapstone-dev:disassembly in -d logs"
    "libfdt-dev:device trees for the system-mode machines"
    "device-tree-compiler:dtc, decompiles generated device trees in tests"
    "qemu-system-misc:qemu-system-riscv64, oracle for the virt machine's device tree (never a runtime dependency)"
    "gcc-riscv64-linux-gnu:builds the riscv64 guest test programs"
    "g++-riscv64-linux-gnu:builds the riscv64 C++ guest test programs"
    "binutils-riscv64-linux-gnu:assembles the differential tests"
    "libc6-dev-riscv64-cross:static riscv64 glibc for guest programs"
    "qemu-user:oracle for expected outputs and differential tests (never a runtime dependency)"
    "zlib1g-dev:qcow2 compressed clusters (zlib)"
    "libzstd-dev:qcow2 compressed clusters (zstd)"
    "qemu-utils:qemu-img, oracle for the block interop tests (never a runtime dependency)"
    "clang-14:builds the libFuzzer target tests/fuzz/fuzz-image"
    "libclang-rt-14-dev:libFuzzer and ASan runtimes for clang (tests/fuzz)"
    "opensbi:fw_dynamic.bin/fw_jump.bin, RISC-V M-mode firmware for system-mode guests (scripts/build-guest.sh)"
    "u-boot-qemu:u-boot.bin for qemu-riscv64_smode, a second boot path for system-mode guests"
    "linux-source-6.1:kernel source for the riscv64 guest Image (scripts/build-guest.sh)"
    "make:runs the kernel and busybox builds"
    "flex:kernel build (kconfig, dtc)"
    "bison:kernel build (kconfig, dtc)"
    "bc:kernel build (timeconst)"
    "libssl-dev:kernel build host tools"
    "libelf-dev:kernel build host tools"
    "cpio:kernel build; initramfs handling"
    "xz-utils:unpacks linux-source-6.1.tar.xz"
    "dpkg-dev:dpkg-source, unpacks the busybox source package (apt-get source)"
    "e2fsprogs:mkfs.ext4 -d and debugfs for the guest disk test images"
    "libslirp-dev:user-mode networking (-netdev user)"
    "libjansson-dev:JSON parsing and printing for QMP (monitor/)"
    "qemu-system-x86:qemu-system-x86_64, oracle for the KVM microvm tests (never a runtime dependency)"
    "gdb-multiarch:the debugger the gdb stub tests drive (tests/gdb)"
    "busybox-static:busybox for the KVM Linux initramfs (scripts/build-kvm-guest.sh takes the same version's .deb)"
)

# setup_deb_src: `apt-get source` (scripts/build-guest.sh fetches Debian's
# busybox source package) needs a deb-src entry, which Debian 12's default
# sources do not have. Only when asked (`setup.sh --deb-src`) and only when
# missing, this adds one mirroring debian.sources, then runs apt-get update.
setup_deb_src() {
    local src=/etc/apt/sources.list.d/mimic-deb-src.sources
    if apt-cache showsrc busybox 2>/dev/null | grep -q '^Package:'; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: no deb-src entry for apt-get source; as root, run: $0 --deb-src" >&2
        exit 1
    fi
    if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "setup: adding $src (deb-src for apt-get source)"
        cat > "$src" <<'SRC'
# Added by mimic's scripts/setup.sh: source packages for scripts/build-guest.sh
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt-get update -qq
}
if [ "${1:-}" = "--deb-src" ]; then
    setup_deb_src
    exit 0
fi

cd "$(dirname "$0")/.."
stamp_dir=${1:-build}        # the build directory the stamp lives in
stamp=$stamp_dir/.setup-stamp
names=()
for entry in "${PACKAGES[@]}"; do
    names+=("${entry%%:*}")
done

missing=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${names[@]}" 2>/dev/null || true)
for entry in "${PACKAGES[@]}"; do
    pkg=${entry%%:*}
    if ! grep -q "^$pkg ii" <<<"$installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${names[*]}" ]; then
        echo "setup: all ${#names[@]} required packages are installed: ${names[*]}"
        mkdir -p "$stamp_dir"
        echo "${names[*]}" > "$stamp"
    fi
    exit 0
fi

echo "setup: missing packages:"
for entry in "${PACKAGES[@]}"; do
    for pkg in "${missing[@]}"; do
        [ "${entry%%:*}" = "$pkg" ] && echo "  $pkg — ${entry#*:}"
    done
done
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not running as root; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "then run make again." >&2
    exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq; then
    echo "setup: 'apt-get update' failed; check the network and /etc/apt/sources.list" >&2
    exit 1
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    echo "setup: apt-get could not install: ${missing[*]}" >&2
    echo "setup: is this Debian 12 (bookworm) with the main archive enabled?" >&2
    exit 1
fi
rm -f "$stamp"
echo "setup: done"
