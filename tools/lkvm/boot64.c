// SPDX-License-Identifier: GPL-2.0
/*
 * Direct 64-bit entry: no firmware, the vCPU starts in long mode with a flat
 * GDT and guest memory below 4 GiB identity-mapped (layout in
 * include/uapi/linux/lkvm.h).
 */
#include <string.h>
#include <linux/lkvm.h>

#include "accel.h"
#include "boot.h"

#define PML4_ADDR	LKVM_PAYLOAD_PT
#define PDPT_ADDR	(PML4_ADDR + 0x1000)
#define PD_ADDR		(PDPT_ADDR + 0x1000)	/* four pages: 4 GiB */
#define GDT_ADDR	(PD_ADDR + 0x4000)

#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_PS		0x080ULL

#define CR0_PE		0x00000001ULL
#define CR0_MP		0x00000002ULL
#define CR0_ET		0x00000010ULL
#define CR0_NE		0x00000020ULL
#define CR0_WP		0x00010000ULL
#define CR0_AM		0x00040000ULL
#define CR0_PG		0x80000000ULL
#define CR4_PAE		0x00000020ULL
#define CR4_OSFXSR	0x00000200ULL
#define CR4_OSXMMEXCPT	0x00000400ULL
#define EFER_SCE	0x001ULL
#define EFER_LME	0x100ULL
#define EFER_LMA	0x400ULL
#define EFER_NXE	0x800ULL

/*
 * GDT entries at the selectors lkvm.h publishes, which are the ones the
 * Linux boot protocol asks for (__BOOT_CS 0x10, __BOOT_DS 0x18).
 */
static const u64 boot_gdt[] = {
	0,
	0,
	0x00af9b000000ffffULL,	/* code: P, DPL0, L, G, exec/read, accessed */
	0x00cf93000000ffffULL,	/* data: P, DPL0, D/B, G, read/write, accessed */
};

int boot_build_long_mode(struct vm *vm)
{
	u64 *pml4 = gpa_to_hva(vm, PML4_ADDR, 0x1000);
	u64 *pdpt = gpa_to_hva(vm, PDPT_ADDR, 0x1000);
	u64 *pd = gpa_to_hva(vm, PD_ADDR, 0x4000);
	void *gdt = gpa_to_hva(vm, GDT_ADDR, sizeof(boot_gdt));
	unsigned int i;

	if (!pml4 || !pdpt || !pd || !gdt) {
		pr_err("guest memory too small for the boot page tables");
		return -1;
	}
	pml4[0] = PDPT_ADDR | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS;
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));
	return 0;
}

static void flat_segment(struct kvm_segment *s, u16 selector, u8 type,
			 bool code64)
{
	*s = (struct kvm_segment) {
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.s = 1,
		.l = code64,
		.db = !code64,
		.g = 1,
	};
}

static void long_mode_sregs(struct kvm_sregs *s)
{
	flat_segment(&s->cs, LKVM_PAYLOAD_CS, 0xb, true);
	flat_segment(&s->ds, LKVM_PAYLOAD_DS, 0x3, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->gdt.base = GDT_ADDR;
	s->gdt.limit = sizeof(boot_gdt) - 1;
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	s->cr3 = PML4_ADDR;
	s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
}

/* Real mode as a boot sector sees it: all segments 0, CS:IP = 0:rip. */
static void real_mode_sregs(struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs,
				       &s->gs, &s->ss };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		segs[i]->selector = 0;
		segs[i]->base = 0;
		segs[i]->limit = 0xffff;
	}
}

int boot_enter(struct vcpu *vcpu, const struct boot_entry *entry)
{
	const struct accel_ops *ops = vcpu->vm->accel_ops;
	struct kvm_regs regs = {
		.rip = entry->rip,
		.rsi = entry->rsi,
		.rdi = entry->rdi,
		.rsp = entry->rsp,
		.rflags = 0x2,
	};
	struct kvm_sregs sregs;
	int ret;

	ret = ops->get_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	if (entry->real_mode)
		real_mode_sregs(&sregs);
	else
		long_mode_sregs(&sregs);
	return ops->set_sregs(vcpu, &sregs) ?: ops->set_regs(vcpu, &regs);
}
