/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runs tools/lkvm/lkvm as a child process and captures what it did:
 * stdout, stderr, exit status or signal, and whether it timed out.
 */
#ifndef LKVM_RUN_H
#define LKVM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lkvm_opts {
	int timeout_ms;
	bool as_nobody;		/* drop to nobody:nogroup, no supplementary groups */
	bool kvm_group;		/* ... but keep /dev/kvm's group */
	bool empty_dev;		/* private mount namespace with an empty /dev */
	const char *home;	/* if set: HOME for lkvm, no XDG_RUNTIME_DIR */
};

struct lkvm_result {
	bool exited;		/* false: killed by a signal (or timed out) */
	int status;		/* exit status when exited */
	int signal;
	bool core_dumped;
	bool timed_out;
	char out[16384];
	char err[8192];
};

/* The register names of lkvm's --dump-regs line, in its order. */
#define LKVM_NR_REGS 18
extern const char *const lkvm_reg_names[LKVM_NR_REGS];

/*
 * Paths relative to the test binary: ../../tools/lkvm/{lkvm,guest/NAME};
 * $LKVM, if set, names another lkvm binary to test.
 */
const char *lkvm_binary(void);
const char *guest_file(const char *name);

/* Runs lkvm with the NULL-terminated arguments that follow opts. */
int lkvm_run(const struct lkvm_opts *opts, struct lkvm_result *r, ...)
	__attribute__((sentinel));

/* Number of lines on stderr (a last line without a newline counts too). */
int stderr_lines(const struct lkvm_result *r);

/*
 * Copies stderr without the --dump-regs line into rest (if not NULL) and
 * parses that line into regs (if not NULL).  Returns false if a regs line
 * was wanted but is missing or malformed, or if there are several.
 */
bool split_stderr(const struct lkvm_result *r, char *rest, size_t size,
		  uint64_t regs[LKVM_NR_REGS]);

/* Is /dev/kvm there and usable by us? */
bool kvm_usable(void);

/* uid and gid of nobody:nogroup (gid of nobody if there is no nogroup). */
bool nobody_ids(unsigned int *uid, unsigned int *gid);

#endif
