# SPDX-License-Identifier: GPL-2.0
# Shared by the runner's and the TCG selftests' Makefiles: decides whether
# libtcg.a builds and links (if not, the TCG backend is left out and the tools
# report it as unavailable), and says how to link the bare VM.  The probe
# links with the build's own flags: a sanitized libtcg.a needs the runtime.
BVM_DIR := $(realpath $(dir $(lastword $(MAKEFILE_LIST))))
TCG_DIR := $(realpath $(BVM_DIR)/..)
LIBTCG := $(TCG_DIR)/libtcg.a
BVM_LIB := $(BVM_DIR)/libbare_vm.a
# What libtcg.a needs (16-byte atomics for CMPXCHG16B come from libatomic).
TCG_LIBS := -lpthread -lm -latomic

ifndef HAVE_TCG
HAVE_TCG := $(shell $(MAKE) -s -C $(TCG_DIR) >/dev/null 2>&1 && \
	$(CC) $(CFLAGS) $(LDFLAGS) -I$(TCG_DIR)/include -o /dev/null \
	$(BVM_DIR)/tcg_probe.c $(LIBTCG) $(TCG_LIBS) >/dev/null 2>&1 && \
	echo 1 || echo 0)
export HAVE_TCG
ifeq ($(HAVE_TCG),0)
$(warning libtcg.a does not build or link yet: the TCG backend is left out)
endif
endif

BVM_CFLAGS := -I$(BVM_DIR) -I$(TCG_DIR)/include -DHAVE_TCG=$(HAVE_TCG)
BVM_LDLIBS := $(BVM_LIB) $(if $(filter 1,$(HAVE_TCG)),$(LIBTCG)) $(TCG_LIBS)
# Programs relink when either library changes.
BVM_DEPS := $(BVM_LIB) $(if $(filter 1,$(HAVE_TCG)),$(LIBTCG))
