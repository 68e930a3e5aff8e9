# SPDX-License-Identifier: GPL-2.0
# lkvm: one tree, built and tested together.
#
#   make            lkvm, the tcg-fallback library, guest payloads, selftests
#   make modules    lkvm.ko against KDIR (default: the running kernel's build
#                   dir, else the newest /lib/modules/*/build)
#   make check      every test that can run here; ends "N passed, N failed, N skipped"
#   make bench      the benchmarks, side by side with their references
#   make fuzz       the libFuzzer harnesses of fuzz/ (clang-14)
#   make fuzz-check runs each of them for FUZZ_TIME s (45), then the crash
#                   regressions; TAP, same summary line as make check
#   SANITIZE=1      build lkvm, libtcg and the selftests with ASan and UBSan
#                   (make check SANITIZE=1); switching rebuilds everything
#
# The kbuild convention "make -C $KDIR M=$PWD" works too: it reads Kbuild.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /lib/modules/*/build))))
export KDIR

SELFTEST_TARGETS ?= lkvm lkvm_boot lkvm_virtio lkvm_fs lkvm_rootfs lkvm_net lkvm_control lkvm_dev lkvm_safety tcg tcg_irq lkvm_blk

# The sub-makes take CFLAGS/LDFLAGS from the environment (CFLAGS ?= there)
# and add their own.  SANITIZE itself is not passed down: selftests use the
# name for their own flags.
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
export CFLAGS := -O2 -g $(SAN_FLAGS)
export LDFLAGS := $(SAN_FLAGS)
# A UBSan report fails the test that triggers it, as an ASan one does.
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
FLAVOUR := sanitize
else
FLAVOUR := plain
endif
MAKEOVERRIDES := $(filter-out SANITIZE=%,$(MAKEOVERRIDES))
unexport SANITIZE

all: flavour lkvm selftests

# The sub-makes do not track flags: objects of the other flavour must go.
flavour:
	@if [ "$$(cat build/flavour 2>/dev/null || echo plain)" != $(FLAVOUR) ]; then \
		echo "make: switching to a $(FLAVOUR) build"; \
		$(MAKE) --no-print-directory clean-objects >/dev/null; \
	fi
	@mkdir -p build && echo $(FLAVOUR) > build/flavour

lkvm tcg selftests: flavour

lkvm:
	$(MAKE) -C tools/lkvm
	$(MAKE) -C tools/lkvm/guest
	$(MAKE) -C tools/lkvm/guest-init

tcg:
	$(MAKE) -C tools/tcg-fallback

build/kselftest/kselftest_harness.h:
	scripts/ksft-headers build/kselftest

selftests: build/kselftest/kselftest_harness.h lkvm
	$(MAKE) -C selftests TARGETS="$(SELFTEST_TARGETS)" all

modules:
ifeq ($(KDIR),)
	@echo "make modules: no kernel headers found (set KDIR=); skipping lkvm.ko"
else
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
endif

check: all
	@scripts/check "$(SELFTEST_TARGETS)"

bench: all
	@for b in scripts/bench-*; do [ -x "$$b" ] && "$$b"; done; true

fuzz:
	$(MAKE) -C fuzz

# FUZZ_TIME seconds per harness (default 45), then the crash regressions.
fuzz-check: fuzz
	@scripts/fuzz-run

# HAVE_TCG=0: bare_vm.mk would otherwise build libtcg.a just to clean it.
clean-objects:
	$(MAKE) -C tools/lkvm clean
	$(MAKE) -C tools/lkvm/guest clean
	$(MAKE) -C tools/lkvm/guest-init clean
	$(MAKE) -C tools/tcg-fallback/runner clean HAVE_TCG=0
	$(MAKE) -C tools/tcg-fallback clean HAVE_TCG=0
	$(MAKE) -C selftests TARGETS="$(SELFTEST_TARGETS)" clean HAVE_TCG=0

clean: clean-objects
	$(RM) -r build

.PHONY: all flavour lkvm tcg selftests modules check bench fuzz fuzz-check \
	clean-objects clean
