/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared scaffolding of the tcg_irq tests: a fabric with a few LAPICs, a
 * small "guest memory" for kvmclock, and register accessors.
 *
 * SDM references are to the Intel SDM Vol. 3A, chapter 10 "Advanced
 * Programmable Interrupt Controller" (chapter 11 in editions since 2023).
 */
#ifndef IRQ_TEST_H
#define IRQ_TEST_H

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "apic.h"

#define NR_APICS	3
#define GUEST_MEM	0x4000

/* xAPIC register offsets (SDM Table 10-1). */
#define R_ID		0x020
#define R_VERSION	0x030
#define R_TPR		0x080
#define R_PPR		0x0a0
#define R_EOI		0x0b0
#define R_LDR		0x0d0
#define R_DFR		0x0e0
#define R_SVR		0x0f0
#define R_ISR		0x100
#define R_TMR		0x180
#define R_IRR		0x200
#define R_ESR		0x280
#define R_ICR_LO	0x300
#define R_ICR_HI	0x310
#define R_LVT_TIMER	0x320
#define R_LVT_LINT0	0x350
#define R_LVT_ERROR	0x370
#define R_TMICT		0x380
#define R_TMCCT		0x390
#define R_TDCR		0x3e0

#define X2APIC_MSR(off)	(0x800 + ((off) >> 4))

struct test_vm {
	struct tcg_irq_fabric *f;
	struct tcg_apic *apic[NR_APICS];
	atomic_int kicks[NR_APICS];
	uint8_t mem[GUEST_MEM];
	atomic_int mem_writes;
};

static void test_kick(void *opaque)
{
	atomic_fetch_add((atomic_int *)opaque, 1);
}

static int test_write_guest(void *opaque, uint64_t gpa, const void *buf,
			    size_t len)
{
	struct test_vm *vm = opaque;

	if (gpa >= GUEST_MEM || len > GUEST_MEM - gpa)
		return -EFAULT;
	memcpy(vm->mem + gpa, buf, len);
	atomic_fetch_add(&vm->mem_writes, 1);
	return 0;
}

static inline int vm_init(struct test_vm *vm)
{
	struct tcg_fabric_host host = {
		.kick = test_kick,
		.write_guest = test_write_guest,
		.vm_opaque = vm,
	};

	memset(vm, 0, sizeof(*vm));
	vm->f = fabric_create(&host);
	if (!vm->f)
		return -1;
	for (int i = 0; i < NR_APICS; i++) {
		vm->apic[i] = apic_create(vm->f, i, &vm->kicks[i]);
		if (!vm->apic[i])
			return -1;
	}
	return 0;
}

static inline void vm_fini(struct test_vm *vm)
{
	for (int i = 0; i < NR_APICS; i++)
		apic_destroy(vm->apic[i]);
	fabric_destroy(vm->f);
}

static inline uint32_t rd(struct tcg_apic *a, uint32_t off)
{
	uint32_t v;

	apic_mmio_read(a, off, &v, 4);
	return v;
}

static inline void wr(struct tcg_apic *a, uint32_t off, uint32_t v)
{
	apic_mmio_write(a, off, &v, 4);
}

/* SVR bit 8: APIC software enable (SDM 10.9). */
static inline void sw_enable(struct tcg_apic *a)
{
	wr(a, R_SVR, 0x1ff);
}

static inline bool vec_bit(struct tcg_apic *a, uint32_t base, int v)
{
	return rd(a, base + (v / 32) * 0x10) & (1u << (v % 32));
}

/* xAPIC IPI: ICR high then low (SDM 10.6.1). */
static inline void send_ipi(struct tcg_apic *a, uint8_t dest, uint32_t lo)
{
	wr(a, R_ICR_HI, (uint32_t)dest << 24);
	wr(a, R_ICR_LO, lo);
}

/* Takes the pending interrupt the way the CPU does: IRR -> ISR. */
static inline int take_irq(struct tcg_apic *a)
{
	int v = apic_get_interrupt(a);

	if (v >= 0)
		apic_ack_interrupt(a, v);
	return v;
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void sleep_ns(uint64_t ns)
{
	struct timespec ts = { ns / 1000000000u, ns % 1000000000u };

	nanosleep(&ts, NULL);
}

#endif /* IRQ_TEST_H */
