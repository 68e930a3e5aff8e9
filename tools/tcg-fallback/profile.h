/* SPDX-License-Identifier: GPL-2.0 */
/* Guest profile by block address (TCG_PROFILE=FILE; profile.c). */
#ifndef TCG_PROFILE_H
#define TCG_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

struct tcg_vcpu;
struct prof_table;

extern bool profile_enabled;

void profile_vm_init(void);
void profile_block(struct tcg_vcpu *c, uint64_t lin, uint64_t n);
void profile_vcpu_done(struct tcg_vcpu *c);

#endif
