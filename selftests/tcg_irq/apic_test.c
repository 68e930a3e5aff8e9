// SPDX-License-Identifier: GPL-2.0
/*
 * LAPIC registers, priorities, EOI, IPIs, x2APIC and IA32_APIC_BASE, checked
 * against the behaviour the Intel SDM specifies (sections cited per check).
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "irq_test.h"

#define ICR_ASSERT	(1u << 14)
#define ICR_LEVEL	(1u << 15)
#define ICR_LOGICAL	(1u << 11)
#define DM(x)		((uint32_t)(x) << 8)
#define SH(x)		((uint32_t)(x) << 18)
#define SH_SELF		1
#define SH_ALL		2
#define SH_OTHERS	3

/* As an int, for the harness's comparisons. */
static int take_ev(struct tcg_apic *a, unsigned int mask, uint8_t *vec)
{
	return apic_take_event(a, mask, vec);
}

FIXTURE(apic) {
	struct test_vm vm;
};

FIXTURE_SETUP(apic)
{
	ASSERT_EQ(0, vm_init(&self->vm));
	for (int i = 0; i < NR_APICS; i++)
		sw_enable(self->vm.apic[i]);
}

FIXTURE_TEARDOWN(apic)
{
	vm_fini(&self->vm);
}

TEST(reset_state)
{
	struct test_vm vm;
	uint64_t base;

	ASSERT_EQ(0, vm_init(&vm));
	/* 10.4.4: base FEE00000H, EN set, BSP flag only on the BSP. */
	ASSERT_EQ(0, apic_rdmsr(vm.apic[0], 0x1b, &base));
	EXPECT_EQ(0xfee00900ull, base);
	ASSERT_EQ(0, apic_rdmsr(vm.apic[1], 0x1b, &base));
	EXPECT_EQ(0xfee00800ull, base);
	EXPECT_EQ(0xfee00000ull, apic_mmio_base(vm.apic[1]));
	/* 10.4.6: xAPIC ID in bits 31:24. */
	EXPECT_EQ(2u << 24, rd(vm.apic[2], R_ID));
	/* 10.4.8: integrated APIC version 1XH; max LVT entry in 23:16. */
	EXPECT_EQ(0x10u, rd(vm.apic[0], R_VERSION) & 0xf0);
	EXPECT_EQ(5u, (rd(vm.apic[0], R_VERSION) >> 16) & 0xff);
	/* 10.4.7.1: LVTs masked, SVR FFH, DFR all ones, TPR 0 after reset. */
	EXPECT_EQ(0x10000u, rd(vm.apic[0], R_LVT_TIMER));
	EXPECT_EQ(0x10000u, rd(vm.apic[0], R_LVT_ERROR));
	EXPECT_EQ(0xffu, rd(vm.apic[0], R_SVR));
	EXPECT_EQ(0xffffffffu, rd(vm.apic[0], R_DFR));
	EXPECT_EQ(0u, rd(vm.apic[0], R_TPR));
	EXPECT_FALSE(apic_has_event(vm.apic[0]));
	/* Duplicate APIC IDs are refused. */
	EXPECT_EQ(NULL, apic_create(vm.f, 1, NULL));
	EXPECT_EQ(EEXIST, errno);
	vm_fini(&vm);
}

TEST_F(apic, tpr_masks_by_priority_class)
{
	struct tcg_apic *a = self->vm.apic[0];

	/* 10.8.3.1: only a class (vector[7:4]) above PPR[7:4] is taken. */
	wr(a, R_TPR, 0x50);
	send_ipi(a, 0, SH(SH_SELF) | 0x45);
	EXPECT_TRUE(vec_bit(a, R_IRR, 0x45));
	EXPECT_EQ(-1, apic_get_interrupt(a));
	EXPECT_FALSE(apic_has_event(a));
	wr(a, R_TPR, 0x4f);	/* same class 4: still masked */
	EXPECT_EQ(-1, apic_get_interrupt(a));
	wr(a, R_TPR, 0x3f);
	EXPECT_TRUE(apic_has_event(a));
	EXPECT_EQ(0x45, apic_get_interrupt(a));
}

TEST_F(apic, isr_nesting_and_eoi_order)
{
	struct tcg_apic *a = self->vm.apic[0];

	send_ipi(a, 0, SH(SH_SELF) | 0x31);
	send_ipi(a, 0, SH(SH_SELF) | 0x61);
	/* 10.8.4: the highest-priority IRR vector goes first. */
	EXPECT_EQ(0x61, take_irq(a));
	EXPECT_TRUE(vec_bit(a, R_ISR, 0x61));
	EXPECT_FALSE(vec_bit(a, R_IRR, 0x61));
	/* 10.8.3.1: PPR = ISRV[7:4]:0 when above TPR. */
	wr(a, R_TPR, 0x25);
	EXPECT_EQ(0x60u, rd(a, R_PPR));
	EXPECT_EQ(-1, apic_get_interrupt(a));
	/* Same class as the in-service vector: held (10.8.3.1). */
	send_ipi(a, 0, SH(SH_SELF) | 0x65);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	/* A higher class nests. */
	send_ipi(a, 0, SH(SH_SELF) | 0x71);
	EXPECT_EQ(0x71, take_irq(a));
	/* 10.8.5: EOI retires the highest ISR bit first. */
	wr(a, R_EOI, 0);
	EXPECT_FALSE(vec_bit(a, R_ISR, 0x71));
	EXPECT_TRUE(vec_bit(a, R_ISR, 0x61));
	EXPECT_EQ(-1, apic_get_interrupt(a));	/* 0x65 waits for 0x61 */
	wr(a, R_EOI, 0);
	EXPECT_EQ(0x65, take_irq(a));
	wr(a, R_EOI, 0);
	EXPECT_EQ(0x25u, rd(a, R_PPR));	/* PPR = TPR again */
	EXPECT_EQ(0x31, take_irq(a));
	wr(a, R_EOI, 0);
	EXPECT_EQ(0u, rd(a, R_ISR + 0x10));
	EXPECT_FALSE(apic_has_event(a));
}

TEST_F(apic, cr8_is_tpr_high_nibble)
{
	struct tcg_apic *a = self->vm.apic[0];

	/* 10.8.6.1: CR8[3:0] <-> TPR[7:4]; a CR8 write clears TPR[3:0]. */
	wr(a, R_TPR, 0x9a);
	EXPECT_EQ(9u, apic_get_cr8(a));
	apic_set_cr8(a, 5);
	EXPECT_EQ(0x50u, rd(a, R_TPR));
	send_ipi(a, 0, SH(SH_SELF) | 0x55);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	apic_set_cr8(a, 4);
	EXPECT_EQ(0x55, apic_get_interrupt(a));
}

TEST_F(apic, software_disable)
{
	struct tcg_apic *a = self->vm.apic[1];

	wr(a, R_LVT_LINT0, 0x700);
	EXPECT_EQ(0x700u, rd(a, R_LVT_LINT0));
	/* 10.4.7.2: software disable sets every LVT mask bit ... */
	wr(a, R_SVR, 0xff);
	EXPECT_EQ(0x10700u, rd(a, R_LVT_LINT0));
	/* ... which then cannot be cleared ... */
	wr(a, R_LVT_TIMER, 0x40);
	EXPECT_EQ(0x10040u, rd(a, R_LVT_TIMER));
	/* ... and fixed interrupts are not accepted, but NMI and INIT are. */
	send_ipi(self->vm.apic[0], 1, 0x41);
	EXPECT_FALSE(vec_bit(a, R_IRR, 0x41));
	send_ipi(self->vm.apic[0], 1, DM(4));
	EXPECT_EQ(APIC_EVENT_NMI, take_ev(a, APIC_EVENT_ALL, NULL));
}

TEST_F(apic, illegal_vector_sets_esr)
{
	struct tcg_apic *a = self->vm.apic[0];

	send_ipi(a, 0, SH(SH_SELF) | 3);
	EXPECT_EQ(-1, apic_get_interrupt(a));
	/* 10.5.3: ESR shows errors only after a write; bit 5 send illegal. */
	EXPECT_EQ(0u, rd(a, R_ESR));
	wr(a, R_ESR, 0);
	EXPECT_EQ(1u << 5, rd(a, R_ESR));
	wr(a, R_ESR, 0);
	EXPECT_EQ(0u, rd(a, R_ESR));
}

TEST_F(apic, ipi_shorthands)
{
	struct tcg_apic **a = self->vm.apic;

	/* 10.6.1: 11b all excluding self, 10b all including self, 01b self. */
	send_ipi(a[0], 0, SH(SH_OTHERS) | 0x40);
	EXPECT_FALSE(vec_bit(a[0], R_IRR, 0x40));
	EXPECT_TRUE(vec_bit(a[1], R_IRR, 0x40));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x40));
	send_ipi(a[1], 0, SH(SH_ALL) | 0x41);
	for (int i = 0; i < NR_APICS; i++)
		EXPECT_TRUE(vec_bit(a[i], R_IRR, 0x41));
	send_ipi(a[2], 0, SH(SH_SELF) | 0x42);
	EXPECT_FALSE(vec_bit(a[0], R_IRR, 0x42));
	EXPECT_FALSE(vec_bit(a[1], R_IRR, 0x42));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x42));
	/* Only the targets were kicked: vCPU 0 got nothing but ALL. */
	EXPECT_EQ(1, self->vm.kicks[0]);
	EXPECT_EQ(3, self->vm.kicks[2]);
}

TEST_F(apic, ipi_physical_and_logical)
{
	struct tcg_apic **a = self->vm.apic;

	/* 10.6.2.1: physical destination = APIC ID; FFH broadcasts. */
	send_ipi(a[0], 2, 0x50);
	EXPECT_FALSE(vec_bit(a[1], R_IRR, 0x50));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x50));
	send_ipi(a[0], 0xff, 0x51);
	for (int i = 0; i < NR_APICS; i++)
		EXPECT_TRUE(vec_bit(a[i], R_IRR, 0x51));

	/* 10.6.2.2 flat model: LDR[31:24] AND MDA != 0. */
	wr(a[1], R_LDR, 0x02000000);
	wr(a[2], R_LDR, 0x04000000);
	send_ipi(a[0], 0x06, ICR_LOGICAL | 0x52);
	EXPECT_FALSE(vec_bit(a[0], R_IRR, 0x52));
	EXPECT_TRUE(vec_bit(a[1], R_IRR, 0x52));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x52));

	/* Cluster model (DFR[31:28] = 0): MDA[7:4] cluster, [3:0] bits. */
	for (int i = 0; i < NR_APICS; i++)
		wr(a[i], R_DFR, 0x0fffffff);
	EXPECT_EQ(0x0fffffffu, rd(a[1], R_DFR));
	wr(a[1], R_LDR, 0x11000000);	/* cluster 1, bit 0 */
	wr(a[2], R_LDR, 0x21000000);	/* cluster 2, bit 0 */
	send_ipi(a[0], 0x21, ICR_LOGICAL | 0x53);
	EXPECT_FALSE(vec_bit(a[1], R_IRR, 0x53));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x53));
	send_ipi(a[0], 0x12, ICR_LOGICAL | 0x54);	/* no such member */
	EXPECT_FALSE(vec_bit(a[1], R_IRR, 0x54));
}

TEST_F(apic, lowest_priority_arbitration)
{
	struct tcg_apic **a = self->vm.apic;

	/* 10.6.2.4: the target with the lowest priority takes it. */
	wr(a[1], R_TPR, 0x30);
	wr(a[2], R_TPR, 0x10);
	wr(a[1], R_LDR, 0x02000000);
	wr(a[2], R_LDR, 0x04000000);
	send_ipi(a[0], 0x06, ICR_LOGICAL | DM(1) | 0x60);
	EXPECT_FALSE(vec_bit(a[1], R_IRR, 0x60));
	EXPECT_TRUE(vec_bit(a[2], R_IRR, 0x60));
	wr(a[2], R_TPR, 0x40);
	send_ipi(a[0], 0x06, ICR_LOGICAL | DM(1) | 0x61);
	EXPECT_TRUE(vec_bit(a[1], R_IRR, 0x61));
	EXPECT_FALSE(vec_bit(a[2], R_IRR, 0x61));
}

TEST_F(apic, init_sipi_nmi)
{
	struct tcg_apic **a = self->vm.apic;
	uint8_t vec = 0;

	/* 10.4.4: a SIPI outside the wait-for-SIPI state is ignored. */
	send_ipi(a[0], 1, DM(6) | 0x9a);
	EXPECT_FALSE(apic_has_event(a[1]));
	/* 10.6.1: INIT level de-assert carries no INIT. */
	send_ipi(a[0], 1, DM(5) | ICR_LEVEL);
	EXPECT_FALSE(apic_has_event(a[1]));

	wr(a[1], R_TPR, 0x70);
	send_ipi(a[0], 1, DM(5) | ICR_LEVEL | ICR_ASSERT);
	EXPECT_TRUE(apic_has_event(a[1]));
	EXPECT_LE(1, self->vm.kicks[1]);
	send_ipi(a[0], 1, DM(6) | 0x9a);
	EXPECT_EQ(APIC_EVENT_INIT, take_ev(a[1], APIC_EVENT_ALL, &vec));
	/* 10.4.7.3: INIT resets the registers except ID and base. */
	EXPECT_EQ(0u, rd(a[1], R_TPR));
	EXPECT_EQ(0xffu, rd(a[1], R_SVR));
	EXPECT_EQ(1u << 24, rd(a[1], R_ID));
	EXPECT_EQ(APIC_EVENT_SIPI, take_ev(a[1], APIC_EVENT_ALL, &vec));
	EXPECT_EQ(0x9a, vec);
	/* The second SIPI of the INIT-SIPI-SIPI sequence finds it running. */
	send_ipi(a[0], 1, DM(6) | 0x9a);
	EXPECT_EQ(APIC_EVENT_NONE, take_ev(a[1], APIC_EVENT_ALL, &vec));

	/* NMI (10.6.1 delivery mode 100b), held while the CPU blocks NMI. */
	send_ipi(a[0], 2, DM(4));
	EXPECT_TRUE(apic_has_event(a[2]));
	EXPECT_EQ(APIC_EVENT_NONE, take_ev(a[2], APIC_EVENT_SIPI, &vec));
	EXPECT_EQ(APIC_EVENT_NMI, take_ev(a[2], APIC_EVENT_NMI, &vec));
	EXPECT_FALSE(apic_has_event(a[2]));
}

static void *delayed_ipi(void *arg)
{
	struct tcg_apic *src = arg;

	sleep_ns(20000000);
	send_ipi(src, 1, 0x70);
	return NULL;
}

TEST_F(apic, wait_event_wakes_on_ipi_and_stop)
{
	struct tcg_apic **a = self->vm.apic;
	volatile bool stop = false;
	pthread_t t;
	uint64_t t0 = mono_ns();

	ASSERT_EQ(0, pthread_create(&t, NULL, delayed_ipi, a[0]));
	apic_wait_event(a[1], &stop);
	EXPECT_LE(15000000ull, mono_ns() - t0);
	EXPECT_EQ(0x70, apic_get_interrupt(a[1]));
	pthread_join(t, NULL);

	/* A stop request set before apic_wake() ends the wait. */
	take_irq(a[1]);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	apic_wake(a[1]);
	apic_wait_event(a[1], &stop);
}

#define HOPS	3000

struct ring_cpu {
	struct tcg_apic *self, *next;
	atomic_int *hops;
	volatile bool *stop;
};

/* A vCPU that halts, takes the token interrupt, EOIs and passes it on. */
static void *ring_vcpu(void *arg)
{
	struct ring_cpu *c = arg;

	for (;;) {
		apic_wait_event(c->self, c->stop);
		if (__atomic_load_n(c->stop, __ATOMIC_ACQUIRE))
			return NULL;
		if (take_irq(c->self) != 0x90)
			continue;
		wr(c->self, R_EOI, 0);
		if (atomic_fetch_add(c->hops, 1) + 1 >= HOPS)
			return NULL;
		send_ipi(c->self, apic_id(c->next), 0x90);
	}
}

TEST_F(apic, ipi_ring_between_threads)
{
	struct ring_cpu cpu[NR_APICS];
	pthread_t t[NR_APICS];
	atomic_int hops = 0;
	volatile bool stop = false;
	uint64_t t0 = mono_ns();

	/* No wake-up may be lost: the token makes HOPS hops, then stops. */
	for (int i = 0; i < NR_APICS; i++) {
		cpu[i] = (struct ring_cpu){
			.self = self->vm.apic[i],
			.next = self->vm.apic[(i + 1) % NR_APICS],
			.hops = &hops,
			.stop = &stop,
		};
		ASSERT_EQ(0, pthread_create(&t[i], NULL, ring_vcpu, &cpu[i]));
	}
	send_ipi(self->vm.apic[2], 0, 0x90);
	while (hops < HOPS && mono_ns() - t0 < 10000000000ull)
		sleep_ns(1000000);
	EXPECT_EQ(HOPS, hops);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_APICS; i++)
		apic_wake(self->vm.apic[i]);
	for (int i = 0; i < NR_APICS; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%d IPI hops in %llu us", HOPS,
	       (unsigned long long)(mono_ns() - t0) / 1000);
}

TEST_F(apic, x2apic_register_rules)
{
	struct tcg_apic *a = self->vm.apic[2];
	uint64_t v;

	/* 10.12.2: x2APIC MSRs #GP outside x2APIC mode. */
	EXPECT_EQ(-1, apic_rdmsr(a, X2APIC_MSR(R_ID), &v));
	ASSERT_EQ(0, apic_wrmsr(a, 0x1b, 0xfee00c00));
	/* 10.12.2: no MMIO page in x2APIC mode. */
	EXPECT_EQ(~0ull, apic_mmio_base(a));
	/* 10.12.5.1: x2APIC ID = initial APIC ID, 32 bits. */
	ASSERT_EQ(0, apic_rdmsr(a, X2APIC_MSR(R_ID), &v));
	EXPECT_EQ(2ull, v);
	/* 10.12.10.2: logical ID = cluster (ID[19:4]) : 1 << ID[3:0]. */
	ASSERT_EQ(0, apic_rdmsr(a, X2APIC_MSR(R_LDR), &v));
	EXPECT_EQ(0x4ull, v);
	/* Table 10-6: read-only, write-only and absent registers #GP. */
	EXPECT_EQ(-1, apic_wrmsr(a, X2APIC_MSR(R_ID), 5));
	EXPECT_EQ(-1, apic_wrmsr(a, X2APIC_MSR(R_LDR), 5));
	EXPECT_EQ(-1, apic_rdmsr(a, X2APIC_MSR(R_EOI), &v));
	EXPECT_EQ(-1, apic_rdmsr(a, X2APIC_MSR(R_DFR), &v));
	EXPECT_EQ(-1, apic_rdmsr(a, X2APIC_MSR(R_ICR_HI), &v));
	EXPECT_EQ(-1, apic_wrmsr(a, X2APIC_MSR(R_ICR_HI), 0));
	EXPECT_EQ(-1, apic_rdmsr(a, 0x83f, &v));	/* SELF IPI */
	EXPECT_EQ(-1, apic_rdmsr(a, 0x809, &v));	/* no APR */
	/* 10.12.1.2: EOI and ESR take only zero; 10.12.1.3: bits 63:32. */
	EXPECT_EQ(-1, apic_wrmsr(a, X2APIC_MSR(R_EOI), 1));
	EXPECT_EQ(-1, apic_wrmsr(a, X2APIC_MSR(R_ESR), 1));
	EXPECT_EQ(-1, apic_wrmsr(a, X2APIC_MSR(R_TPR), 1ull << 32));
	EXPECT_EQ(0, apic_wrmsr(a, X2APIC_MSR(R_TPR), 0x20));
	EXPECT_EQ(2ull, apic_get_cr8(a));
	/* 10.12.11: SELF IPI register. */
	EXPECT_EQ(0, apic_wrmsr(a, 0x83f, 0x66));
	EXPECT_EQ(0x66, apic_get_interrupt(a));
	EXPECT_EQ(0, apic_wrmsr(a, X2APIC_MSR(R_EOI), 0));
}

TEST_F(apic, x2apic_ipis)
{
	struct tcg_apic **a = self->vm.apic;
	uint64_t v;

	for (int i = 0; i < NR_APICS; i++)
		ASSERT_EQ(0, apic_wrmsr(a[i], 0x1b, 0xfee00c00));
	/* 10.12.9: ICR is one 64-bit MSR, destination in 63:32. */
	ASSERT_EQ(0, apic_wrmsr(a[0], 0x830, (2ull << 32) | 0x71));
	EXPECT_EQ(0x71, apic_get_interrupt(a[2]));
	EXPECT_EQ(-1, apic_get_interrupt(a[1]));
	ASSERT_EQ(0, apic_rdmsr(a[0], 0x830, &v));
	EXPECT_EQ((2ull << 32) | 0x71, v);
	/* 10.12.10.1: logical: cluster 0, bits 1 and 2 = IDs 1 and 2. */
	ASSERT_EQ(0, apic_wrmsr(a[0], 0x830, (6ull << 32) | ICR_LOGICAL |
					     0x72));
	EXPECT_EQ(0x72, apic_get_interrupt(a[1]));
	EXPECT_EQ(0x72, apic_get_interrupt(a[2]));
	EXPECT_EQ(-1, apic_get_interrupt(a[0]));
	/* Broadcast is FFFFFFFFH in x2APIC mode. */
	ASSERT_EQ(0, apic_wrmsr(a[1], 0x830, (0xffffffffull << 32) | 0x73));
	EXPECT_EQ(0x73, apic_get_interrupt(a[0]));
}

TEST_F(apic, apic_base_transitions)
{
	struct tcg_apic *a = self->vm.apic[1];
	uint64_t v;

	/* 10.4.4: reserved bits (0-7, 9, above MAXPHYADDR) #GP. */
	EXPECT_EQ(-1, apic_wrmsr(a, 0x1b, 0xfee00800 | (1 << 9)));
	EXPECT_EQ(-1, apic_wrmsr(a, 0x1b, 0xfee00801));
	EXPECT_EQ(-1, apic_wrmsr(a, 0x1b, (1ull << 52) | 0xfee00800));
	/* 10.4.5: the xAPIC page moves with the base. */
	EXPECT_EQ(0, apic_wrmsr(a, 0x1b, 0xfed00800));
	EXPECT_EQ(0xfed00000ull, apic_mmio_base(a));
	EXPECT_EQ(0, apic_wrmsr(a, 0x1b, 0xfee00800));

	/* 10.12.5 Figure 10-27: EN=0, EXTD=1 is invalid. */
	EXPECT_EQ(-1, apic_wrmsr(a, 0x1b, 0xfee00400));
	/* xAPIC -> x2APIC legal; x2APIC -> xAPIC illegal. */
	EXPECT_EQ(0, apic_wrmsr(a, 0x1b, 0xfee00c00));
	EXPECT_EQ(-1, apic_wrmsr(a, 0x1b, 0xfee00800));
	ASSERT_EQ(0, apic_rdmsr(a, 0x1b, &v));
	EXPECT_EQ(0xfee00c00ull, v);
	/* x2APIC -> disabled legal; disabled -> x2APIC illegal. */
	EXPECT_EQ(0, apic_wrmsr(a, 0x1b, 0xfee00000));
	EXPECT_EQ(~0ull, apic_mmio_base(a));
	EXPECT_EQ(-1, apic_wrmsr(a, 0x1b, 0xfee00c00));
	/* A disabled LAPIC accepts nothing (10.4.3). */
	send_ipi(self->vm.apic[0], 1, DM(4));
	EXPECT_FALSE(apic_has_event(a));
	/* disabled -> xAPIC -> x2APIC is the legal way. */
	EXPECT_EQ(0, apic_wrmsr(a, 0x1b, 0xfee00800));
	EXPECT_EQ(0, apic_wrmsr(a, 0x1b, 0xfee00c00));
	/* The BSP flag is not the guest's to change. */
	ASSERT_EQ(0, apic_rdmsr(a, 0x1b, &v));
	EXPECT_EQ(0ull, v & (1 << 8));
}

TEST_F(apic, level_ipi_sets_tmr)
{
	struct tcg_apic *a = self->vm.apic[0];

	/* 10.8.4: TMR records the trigger mode of each accepted vector. */
	send_ipi(a, 0, SH(SH_SELF) | ICR_LEVEL | ICR_ASSERT | 0x80);
	EXPECT_TRUE(vec_bit(a, R_TMR, 0x80));
	send_ipi(a, 0, SH(SH_SELF) | 0x81);
	EXPECT_FALSE(vec_bit(a, R_TMR, 0x81));
}

TEST_HARNESS_MAIN
