// SPDX-License-Identifier: GPL-2.0
/*
 * The machine lkvm gives a payload, in small: RAM at 0, identity-mapped
 * 4 GiB with 2 MiB pages, a flat 64-bit GDT, serial output on 0x3f8 and an
 * exit port at 0x5f0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmh.h"

#define PML4	0x1000
#define PDPT	0x2000
#define PD	0x3000	/* 4 pages: 4 GiB */
#define GDT	0x8000

static void pio(void *opaque, uint16_t port, void *data, unsigned int len, bool w)
{
	struct vmh *h = opaque;

	if (w && port == 0x3f8 && h->nout < sizeof(h->out) - 1)
		h->out[h->nout++] = *(uint8_t *)data;
	if (w && port == 0x5f0) {
		h->exit_code = *(uint8_t *)data;
		tcg_vcpu_kick(h->cpu);
	}
	if (!w && port == 0x3fd)
		*(uint8_t *)data = 0x60;	/* transmitter empty */
}

static void mmio(void *opaque, uint64_t gpa, void *data, unsigned int len, bool w)
{
	struct vmh *h = opaque;

	h->mmio_last = gpa;
	if (!w)
		memset(data, 0x5a, len);
}

static void seg(struct kvm_segment *s, uint16_t sel, int type, int l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->g = 1;
	s->l = l;
	s->db = !l;
}

int vmh_create(struct vmh *h, int long_mode)
{
	struct kvm_userspace_memory_region r = { 0 };
	struct tcg_io_ops ops = { pio, mmio, h };
	struct kvm_sregs sr;
	struct kvm_regs regs = { 0 };
	uint64_t *p;
	int k;

	memset(h, 0, sizeof(*h));
	h->exit_code = -1;
	h->mem = mmap(NULL, VMH_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	h->vm = tcg_vm_create();
	if (h->mem == MAP_FAILED || !h->vm)
		return -1;
	r.memory_size = VMH_MEM;
	r.userspace_addr = (uintptr_t)h->mem;
	if (tcg_set_user_memory_region(h->vm, &r))
		return -1;
	tcg_vm_set_io_ops(h->vm, &ops);
	h->cpu = tcg_vcpu_create(h->vm, 0);
	if (!h->cpu)
		return -1;
	tcg_get_sregs(h->cpu, &sr);
	if (long_mode) {
		p = (uint64_t *)(h->mem + PML4);
		p[0] = PDPT | 7;
		p = (uint64_t *)(h->mem + PDPT);
		for (k = 0; k < 4; k++)
			p[k] = (PD + k * 0x1000) | 7;
		p = (uint64_t *)(h->mem + PD);
		for (k = 0; k < 2048; k++)
			p[k] = ((uint64_t)k << 21) | 0x87;
		p = (uint64_t *)(h->mem + GDT);
		p[1] = 0x00af9b000000ffffull;	/* 0x08: 64-bit code */
		p[2] = 0x00cf93000000ffffull;	/* 0x10: data */
		p[3] = 0x00affb000000ffffull;	/* 0x18: user code 64 */
		p[4] = 0x00cff3000000ffffull;	/* 0x20: user data */
		sr.gdt.base = GDT;
		sr.gdt.limit = 8 * 16 - 1;
		seg(&sr.cs, 8, 0xb, 1);
		seg(&sr.ds, 0x10, 3, 0);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		sr.cr0 = 0x80050033;
		sr.cr3 = PML4;
		sr.cr4 = 0x620;	/* PAE, OSFXSR, OSXMMEXCPT */
		sr.efer = 0xd01;	/* SCE, LME, LMA, NXE */
		regs.rip = VMH_CODE;
	} else {
		sr.cs.selector = 0;
		sr.cs.base = 0;
		regs.rip = 0x7c00;
	}
	if (tcg_set_sregs(h->cpu, &sr))
		return -1;
	regs.rsp = VMH_STACK;
	regs.rflags = 2;
	return tcg_set_regs(h->cpu, &regs);
}

void vmh_load(struct vmh *h, uint64_t gpa, const void *code, size_t len)
{
	memcpy(h->mem + gpa, code, len);
	tcg_vm_host_write(h->vm, gpa, len);
}

int vmh_run(struct vmh *h)
{
	enum tcg_exit why;

	for (;;) {
		if (tcg_vcpu_run(h->cpu, &why))
			return -1;
		if (why != TCG_EXIT_INTR || h->exit_code >= 0)
			return why;
	}
}

void vmh_destroy(struct vmh *h)
{
	tcg_vm_destroy(h->vm);
	munmap(h->mem, VMH_MEM);
}
