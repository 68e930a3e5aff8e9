/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lkvm_safety tests share: lkvm started as a child with its stdout
 * and stderr in memory files, watched while it runs, signalled and reaped
 * with deadlines.
 */
#ifndef SAFETY_H
#define SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vm_proc {
	pid_t pid;
	int pidfd;
	int out, err;		/* memfds: lkvm's stdout and stderr */
	bool reaped;
};

/*
 * ../../tools/lkvm/lkvm next to the test binary, or $LKVM; guest payloads
 * from ../../tools/lkvm/guest.
 */
const char *lkvm_path(void);
const char *payload_path(const char *name);
bool kvm_usable(void);

/* Starts lkvm with @args (NULL-terminated, without argv[0]), stdin /dev/null. */
int vm_start(struct vm_proc *p, const char *const *args);
/* The same under the command @wrapper (NULL-terminated), e.g. strace. */
int vm_start_wrapped(struct vm_proc *p, const char *const *wrapper,
		     const char *const *args);
/* The child of @pid whose comm is @name, waiting up to @ms; 0 if none. */
pid_t child_named(pid_t pid, const char *name, int ms);
/* Waits up to @ms for @text in lkvm's stdout; false on timeout or exit. */
bool vm_wait_output(struct vm_proc *p, const char *text, int ms);
/*
 * Waits up to @ms for lkvm to end and returns its wait status; on timeout
 * kills it, reaps it and returns -1.
 */
int vm_wait_exit(struct vm_proc *p, int ms);
/* A malloc'ed, NUL-terminated copy of everything in @fd (out or err). */
char *vm_read(int fd);
/* Kills and reaps the process unless it was reaped, closes the files. */
void vm_release(struct vm_proc *p);

/*
 * The value of "Name:" in /proc/@pid/status (or /proc/@pid/task/@tid/status
 * with @tid > 0), read in base @base; -1 if it is not there.
 */
long long proc_status(pid_t pid, pid_t tid, const char *name, int base);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

#endif
