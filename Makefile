# SPDX-License-Identifier: GPL-2.0
# lkvm: one tree, built and tested together.
#
#   make            lkvm, the tcg-fallback library, guest payloads, selftests
#   make modules    lkvm.ko against KDIR (default: the running kernel's build
#                   dir, else the newest /lib/modules/*/build)
#   make check      every test that can run here; ends "N passed, N failed, N skipped"
#   make bench      the benchmarks, side by side with their references
#
# The kbuild convention "make -C $KDIR M=$PWD" works too: it reads Kbuild.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /lib/modules/*/build))))
export KDIR

SELFTEST_TARGETS ?= lkvm lkvm_boot lkvm_virtio lkvm_fs lkvm_control tcg tcg_irq lkvm_blk

all: lkvm selftests

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

clean:
	$(MAKE) -C tools/lkvm clean
	$(MAKE) -C tools/lkvm/guest clean
	$(MAKE) -C tools/lkvm/guest-init clean
	$(MAKE) -C tools/tcg-fallback/runner clean
	$(MAKE) -C tools/tcg-fallback clean
	$(MAKE) -C selftests TARGETS="$(SELFTEST_TARGETS)" clean
	$(RM) -r build

.PHONY: all lkvm tcg selftests modules check bench clean
