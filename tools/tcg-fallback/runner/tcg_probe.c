// SPDX-License-Identifier: GPL-2.0
/*
 * Link probe: builds only if libtcg.a provides every call the bare VM makes,
 * so that a half-written emulator disables the TCG backend instead of
 * breaking the build.
 */
#include "tcg.h"

int main(void)
{
	void *volatile p[] = {
		tcg_vm_create, tcg_vm_destroy, tcg_vm_set_io_ops,
		tcg_set_user_memory_region, tcg_vcpu_create, tcg_vcpu_destroy,
		tcg_get_regs, tcg_set_regs, tcg_set_sregs, tcg_set_fpu,
		tcg_set_cpuid2, tcg_get_supported_cpuid, tcg_set_msrs,
		tcg_vcpu_run, tcg_vcpu_kick, tcg_vcpu_insn_count,
		tcg_vcpu_error, tcg_vm_host_write,
	};

	return p[0] == 0;
}
