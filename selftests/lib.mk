# SPDX-License-Identifier: GPL-2.0
# Our own subset of the kernel's tools/testing/selftests/lib.mk: a test
# directory sets TEST_GEN_PROGS (built from the .c of the same name),
# TEST_PROGS (scripts) and optionally TEST_TIMEOUT, then includes this file.
# "make run_tests" runs them in TAP form and leaves a tally for "make check".

top_srcdir := $(realpath $(dir $(lastword $(MAKEFILE_LIST)))/..)
KSFT_DIR := $(top_srcdir)/build/kselftest
OUTPUT ?= $(CURDIR)

CC ?= gcc
# -MMD: objects built from lkvm's sources must follow its headers.
CFLAGS += -MMD -MP
CFLAGS += -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	  -I$(KSFT_DIR) -I$(top_srcdir)/include/uapi -I$(top_srcdir)/include
LDLIBS += -lpthread

# Static programs run inside guests, where no sanitizer runtime exists.
ifneq ($(filter -static,$(LDFLAGS)),)
CFLAGS := $(filter-out -fsanitize=%,$(CFLAGS))
LDFLAGS := $(filter-out -fsanitize=%,$(LDFLAGS))
endif

TEST_GEN_PROGS := $(patsubst %,$(OUTPUT)/%,$(TEST_GEN_PROGS))
TEST_TIMEOUT ?= 300

all: $(TEST_GEN_PROGS) $(TEST_GEN_FILES)

$(OUTPUT)/%: %.c $(KSFT_DIR)/kselftest_harness.h $(EXTRA_DEPS) \
		$(top_srcdir)/include/uapi/linux/lkvm.h
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(EXTRA_OBJS) $(LDLIBS)

$(KSFT_DIR)/kselftest_harness.h:
	$(top_srcdir)/scripts/ksft-headers $(KSFT_DIR)

run_tests: all
	@$(top_srcdir)/scripts/ksft-run --timeout $(TEST_TIMEOUT) \
		--suite $(notdir $(CURDIR)) $(TEST_GEN_PROGS) $(TEST_PROGS)

clean:
	$(RM) $(TEST_GEN_PROGS) $(EXTRA_CLEAN)

-include $(wildcard $(OUTPUT)/*.d)

.PHONY: all run_tests clean
