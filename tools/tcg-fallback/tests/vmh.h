/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal VM for the core's own tests: flat long-mode machine. */
#ifndef VMH_H
#define VMH_H

#include <stddef.h>
#include <stdint.h>
#include "../include/tcg.h"

#define VMH_MEM		(64u << 20)
#define VMH_CODE	0x100000ull	/* payload load address */
#define VMH_STACK	0x80000ull

struct vmh {
	struct tcg_vm *vm;
	struct tcg_vcpu *cpu;
	uint8_t *mem;
	char out[4096];		/* bytes written to port 0x3f8 */
	size_t nout;
	int exit_code;		/* value written to port 0x5f0, -1 if none */
	uint64_t mmio_last;
};

int vmh_create(struct vmh *h, int long_mode);
void vmh_load(struct vmh *h, uint64_t gpa, const void *code, size_t len);
/* Runs until the payload writes port 0x5f0; returns the tcg exit reason. */
int vmh_run(struct vmh *h);
void vmh_destroy(struct vmh *h);

#endif
