# Makefile — thin wrapper over meson + ninja for the usual entry points:
#   make / make build   install missing packages, configure build/, compile
#   make check          build, run every test, print "N passed, N failed" (builds the
#                       guest Linux images first: ~15 min once, then cached)
#   make check-asan     the same in build-asan/ with ASan + UBSan
#   make demo           build, run a RISC-V program under mimic and explain it, then
#                       boot Linux on the emulated RISC-V machine to a shell
#   make bench          build, time bench/programs under native, qemu-riscv64, mimic
#   make guest          build (or reuse from the cache) the RISC-V guest kernel,
#                       initramfs and firmware for system-mode tests (build/guest)
#   make kvm-guest      fetch (or reuse from the cache) Debian's cloud kernel and
#                       busybox-static, build the KVM Linux initramfs (build/kvm-guest)
#   make check-kvm-slow the slow KVM Linux boot test (suite kvm-slow), after kvm-guest
#   make clean          remove both build directories
# The one thing to know: meson owns the real build; this file only decides
# when to run `meson setup` (once per build directory) and in what order.

BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= 2
NINJA = nice ninja -j $(JOBS)

.PHONY: all build check check-asan demo bench guest kvm-guest check-kvm-slow clean

all: build

build:
	@scripts/setup.sh $(BUILD)
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD)
	$(NINJA) -C $(BUILD)

check: build guest
	@scripts/run-tests.sh $(BUILD)

check-asan:
	@scripts/setup.sh $(ASAN_BUILD)
	@test -f $(ASAN_BUILD)/build.ninja || \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	$(NINJA) -C $(ASAN_BUILD)
	@JOBS=$(JOBS) scripts/build-guest.sh $(ASAN_BUILD)/guest
	@scripts/run-tests.sh $(ASAN_BUILD) --timeout-multiplier 3

demo: build guest
	@scripts/demo.sh $(BUILD)

bench: build
	@python3 bench/run.py --build $(BUILD)

guest:
	@scripts/setup.sh $(BUILD)
	@JOBS=$(JOBS) scripts/build-guest.sh $(BUILD)/guest

kvm-guest:
	@scripts/setup.sh $(BUILD)
	@scripts/build-kvm-guest.sh $(BUILD)/kvm-guest

check-kvm-slow: build kvm-guest
	@scripts/run-tests.sh $(BUILD) --suite kvm-slow

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
