// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs and CPUID.  CPUID presents the paravirtual CPU of the design: an
 * Intel vendor string, the KVM hypervisor leaves with kvmclock, the TSC
 * frequency in leaves 0x15/0x16, and only features that are implemented.
 */
#include <errno.h>

#include "intc.h"
#include "apic.h"

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_PAT			0x00000277
#define MSR_MISC_ENABLE		0x000001a0
#define MSR_SYSENTER_CS		0x00000174
#define MSR_SYSENTER_ESP	0x00000175
#define MSR_SYSENTER_EIP	0x00000176
#define MSR_MTRRCAP		0x000000fe
#define MSR_MTRR_DEF_TYPE	0x000002ff
#define MSR_MTRR_PHYS_FIRST	0x00000200
#define MSR_MTRR_PHYS_LAST	0x0000020f
#define MSR_BIOS_SIGN_ID	0x0000008b
#define MSR_PLATFORM_ID		0x00000017
#define MSR_MCG_CAP		0x00000179
#define MSR_MCG_STATUS		0x0000017a
#define MSR_SPEC_CTRL		0x00000048
#define MSR_PRED_CMD		0x00000049
#define MSR_ARCH_CAPABILITIES	0x0000010a

/* SPEC_CTRL bits the CPU takes: IBRS and STIBP (CPUID.7.0.EDX[26,27]),
 * BHI_DIS_S (CPUID.7.2.EDX[4]). */
#define SPEC_CTRL_BITS		(3ull | (1ull << 10))

/*
 * An interpreter does not speculate: no branch predictor to poison, no
 * fill buffers or store buffer to sample, no stale TLB entries used past a
 * fault.  IA32_ARCH_CAPABILITIES says so, bit by bit, so that the guest
 * kernel leaves off mitigations that guard against nothing here and cost
 * much on an emulator (page-table isolation switches CR3, and with it the
 * software TLB, on every kernel entry and exit; retpolines and return
 * thunks turn calls and returns into longer sequences).  Enhanced IBRS
 * (IBRS_ALL) is advertised for the same reason: Linux then needs neither
 * retpolines nor return thunks against Spectre v2; and BHI_CTRL, so that
 * it sets BHI_DIS_S once instead of running a branch-clearing loop on
 * every system call.
 */
#define ARCH_CAP_NOT_AFFECTED	((1ull << 0) |	/* RDCL_NO: Meltdown, L1TF */ \
				 (1ull << 1) |	/* IBRS_ALL */ \
				 (1ull << 3) |	/* SKIP_L1DFL_VMENTRY */ \
				 (1ull << 4) |	/* SSB_NO */ \
				 (1ull << 5) |	/* MDS_NO */ \
				 (1ull << 6) |	/* PSCHANGE_MC_NO */ \
				 (1ull << 8) |	/* TAA_NO */ \
				 (1ull << 13) |	/* SBDR_SSDP_NO */ \
				 (1ull << 14) |	/* FBSDP_NO */ \
				 (1ull << 15) |	/* PSDP_NO */ \
				 (1ull << 20) |	/* BHI_NO */ \
				 (1ull << 24) |	/* PBRSB_NO */ \
				 (1ull << 26) |	/* GDS_NO */ \
				 (1ull << 27) |	/* RFDS_NO */ \
				 (1ull << 62))	/* ITS_NO */

/* Fixed-range MTRR MSR numbers, in storage order. */
static const uint32_t mtrr_fixed_msr[11] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
};

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* Plain-storage MSRs: the address of their value, or NULL. */
static uint64_t *msr_slot(struct tcg_vcpu *c, uint32_t msr)
{
	int k;

	switch (msr) {
	case MSR_STAR: return &c->star;
	case MSR_LSTAR: return &c->lstar;
	case MSR_CSTAR: return &c->cstar;
	case MSR_SFMASK: return &c->sfmask;
	case MSR_KERNEL_GS_BASE: return &c->kernel_gs_base;
	case MSR_TSC_AUX: return &c->tsc_aux;
	case MSR_PAT: return &c->pat;
	case MSR_MISC_ENABLE: return &c->misc_enable;
	case MSR_SYSENTER_CS: return &c->sysenter_cs;
	case MSR_SYSENTER_ESP: return &c->sysenter_esp;
	case MSR_SYSENTER_EIP: return &c->sysenter_eip;
	case MSR_MTRR_DEF_TYPE: return &c->mtrr_def;
	case MSR_BIOS_SIGN_ID: return &c->ucode_rev;
	}
	if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST)
		return &c->mtrr_var[msr - MSR_MTRR_PHYS_FIRST];
	for (k = 0; k < 11; k++)
		if (mtrr_fixed_msr[k] == msr)
			return &c->mtrr_fixed[k];
	return NULL;
}

uint64_t read_msr_value(struct tcg_vcpu *c, uint32_t msr, bool *ok)
{
	uint64_t *p, v = 0;

	*ok = true;
	if (intc_rdmsr(c, msr, &v, ok))
		return v;
	switch (msr) {
	case MSR_EFER: return c->efer;
	case MSR_FS_BASE: return c->seg[S_FS].base;
	case MSR_GS_BASE: return c->seg[S_GS].base;
	case MSR_MTRRCAP: return c->mtrr_cap;
	case MSR_PLATFORM_ID:
	case MSR_MCG_CAP:
	case MSR_MCG_STATUS:
		return 0;
	case MSR_ARCH_CAPABILITIES:
		return ARCH_CAP_NOT_AFFECTED;
	case MSR_SPEC_CTRL:
		return c->spec_ctrl;
	}
	p = msr_slot(c, msr);
	if (p)
		return *p;
	*ok = false;
	return 0;
}

bool write_msr_value(struct tcg_vcpu *c, uint32_t msr, uint64_t v)
{
	uint64_t *p;
	bool ok;

	if (intc_wrmsr(c, msr, v, &ok))
		return ok;
	switch (msr) {
	case MSR_EFER:
		if (v & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			return false;
		if (((v ^ c->efer) & EFER_LME) && (c->cr0 & CR0_PG))
			return false;
		set_efer(c, v);
		return true;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!canonical(v))
			return false;
		c->seg[msr == MSR_FS_BASE ? S_FS : S_GS].base = v;
		update_mode(c);
		return true;
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
		if (!canonical(v))
			return false;
		break;
	case MSR_SFMASK:
		v &= 0xffffffff;
		break;
	case MSR_TSC_AUX:
		if (v >> 32)
			return false;
		break;
	case MSR_MCG_STATUS:
		return !v;
	case MSR_SPEC_CTRL:
		/* Stored for the guest to read back; nothing to restrict. */
		if (v & ~SPEC_CTRL_BITS)
			return false;
		c->spec_ctrl = v;
		return true;
	case MSR_PRED_CMD:
		/* IBPB: there are no predictions to discard. */
		return v <= 1;
	case MSR_PLATFORM_ID:
	case MSR_MTRRCAP:
	case MSR_ARCH_CAPABILITIES:
		return false;
	}
	p = msr_slot(c, msr);
	if (!p)
		return false;
	*p = v;
	return true;
}

static uint32_t str4(const char *s)
{
	return (uint8_t)s[0] | (uint8_t)s[1] << 8 | (uint8_t)s[2] << 16 |
	       (uint32_t)(uint8_t)s[3] << 24;
}

/* CPUID.1 feature bits that are implemented. */
#define F1_EDX	((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | \
		 (1u << 8) | (1u << 9) | (1u << 12) | (1u << 13) | (1u << 15) | \
		 (1u << 16) | (1u << 19) | (1u << 23) | (1u << 24) | (1u << 25) | \
		 (1u << 26))
#define F1_ECX	((1u << 13) | (1u << 21) | (1u << 23) | (1u << 24) | (1u << 31))
#define F81_ECX	((1u << 0) | (1u << 5))
#define F81_EDX	((1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29))
#define F7_EBX	(1u << 9)	/* ERMS */
/* SPEC_CTRL with IBRS/IBPB, STIBP, IA32_ARCH_CAPABILITIES (see above). */
#define F7_EDX	((1u << 26) | (1u << 27) | (1u << 29))
#define F7_2_EDX	(1u << 4)	/* BHI_CTRL */

#define KVM_CPUID_FEATURES_EAX	((1u << 0) | (1u << 3) | (1u << 24))

static const char brand[48] = "lkvm tcg-fallback x86-64 CPU";

/* The emulated CPU's own answer to CPUID leaf/subleaf. */
static bool builtin_cpuid(uint32_t leaf, uint32_t sub, uint32_t o[4])
{
	memset(o, 0, 16);
	switch (leaf) {
	case 0:
		o[0] = 0x16;
		o[1] = str4("Genu");
		o[3] = str4("ineI");
		o[2] = str4("ntel");
		return true;
	case 1:
		o[0] = 0x000206a7;	/* family 6, model 0x2a, stepping 7 */
		o[1] = (8 << 8) | (1 << 16);
		o[2] = F1_ECX;
		o[3] = F1_EDX;
		return true;
	case 7:
		if (sub == 0) {
			o[0] = 2;	/* subleaves 0-2 */
			o[1] = F7_EBX;
			o[3] = F7_EDX;
		} else if (sub == 2) {
			o[3] = F7_2_EDX;
		}
		return true;
	case 2: case 4: case 5: case 6: case 0xa: case 0xb: case 0xd:
		return true;
	case 0x15:
		o[0] = 1;
		o[1] = CLOCK_TSC_KHZ / CLOCK_APIC_BUS_KHZ;
		o[2] = CLOCK_APIC_BUS_KHZ * 1000u;
		return true;
	case 0x16:
		o[0] = o[1] = CLOCK_TSC_KHZ / 1000;
		o[2] = CLOCK_APIC_BUS_KHZ / 1000;
		return true;
	case 0x40000000:
		o[0] = 0x40000001;
		o[1] = str4("KVMK");
		o[2] = str4("VMKV");
		o[3] = str4("M\0\0\0");
		return true;
	case 0x40000001:
		o[0] = KVM_CPUID_FEATURES_EAX;
		return true;
	case 0x80000000:
		o[0] = 0x80000008;
		return true;
	case 0x80000001:
		o[2] = F81_ECX;
		o[3] = F81_EDX;
		return true;
	case 0x80000002: case 0x80000003: case 0x80000004:
		memcpy(o, brand + 16 * (leaf - 0x80000002), 16);
		return true;
	case 0x80000006:
		o[2] = (64 << 0) | (6 << 12) | (256 << 16);	/* 256K L2, 64-byte lines */
		return true;
	case 0x80000007:
		o[3] = 1 << 8;	/* invariant TSC */
		return true;
	case 0x80000008:
		o[0] = 0x3000 | APIC_MAXPHYADDR;
		return true;
	}
	return false;
}

/* The leaves, and subleaves where they matter, tcg_get_supported_cpuid()
 * reports. */
static const struct {
	uint32_t leaf, sub;
} builtin_leaves[] = {
	{ 0 }, { 1 }, { 2 }, { 4 }, { 5 }, { 6 }, { 7, 0 }, { 7, 2 }, { 0xa },
	{ 0xb }, { 0xd }, { 0x15 }, { 0x16 }, { 0x40000000 }, { 0x40000001 },
	{ 0x80000000 }, { 0x80000001 }, { 0x80000002 }, { 0x80000003 },
	{ 0x80000004 }, { 0x80000006 }, { 0x80000007 }, { 0x80000008 },
};

int tcg_get_supported_cpuid(struct kvm_cpuid2 *cpuid)
{
	unsigned int n = sizeof(builtin_leaves) / sizeof(builtin_leaves[0]), k;

	if (cpuid->nent < n) {
		cpuid->nent = n;
		return -E2BIG;
	}
	for (k = 0; k < n; k++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[k];
		uint32_t o[4];

		memset(e, 0, sizeof(*e));
		builtin_cpuid(builtin_leaves[k].leaf, builtin_leaves[k].sub, o);
		e->function = builtin_leaves[k].leaf;
		e->index = builtin_leaves[k].sub;
		if (e->function == 4 || e->function == 7 || e->function == 0xb ||
		    e->function == 0xd)
			e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->eax = o[0];
		e->ebx = o[1];
		e->ecx = o[2];
		e->edx = o[3];
	}
	cpuid->nent = n;
	return 0;
}

/* CPUID from the table lkvm set with tcg_set_cpuid2(), as KVM does. */
static void table_cpuid(struct tcg_vcpu *c, uint32_t leaf, uint32_t sub, uint32_t o[4])
{
	int k;

	memset(o, 0, 16);
	for (k = 0; k < c->ncpuid; k++) {
		const struct kvm_cpuid_entry2 *e = &c->cpuid[k];

		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != sub)
			continue;
		o[0] = e->eax;
		o[1] = e->ebx;
		o[2] = e->ecx;
		o[3] = e->edx;
		return;
	}
}

void do_cpuid(struct tcg_vcpu *c, uint32_t leaf, uint32_t sub, uint32_t o[4])
{
	if (c->cpuid)
		table_cpuid(c, leaf, sub, o);
	else
		builtin_cpuid(leaf, sub, o);
	/* Per-vCPU fields, as a VMM would set them for each vCPU. */
	if (leaf == 1) {
		o[1] = (o[1] & 0x00ffffff) | (apic_id(c->apic) << 24);
		if (apic_get_base(c->apic) & APIC_BASE_ENABLE)
			o[3] |= 1u << 9;
		else
			o[3] &= ~(1u << 9);
	}
	if (leaf == 0xb)
		o[3] = apic_id(c->apic);
}
