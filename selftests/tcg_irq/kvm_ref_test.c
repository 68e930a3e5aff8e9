// SPDX-License-Identifier: GPL-2.0
/*
 * The same scenarios on KVM's in-kernel irqchip (/dev/kvm, driven through
 * KVM_SET_LAPIC, KVM_SET_IRQCHIP, KVM_IRQ_LINE and KVM_SIGNAL_MSI, without
 * running guest code) and on tcg-fallback's fabric, comparing what each
 * exposes: LAPIC register pages, IOAPIC redirection tables, MSI delivery
 * counts and the LAPIC timer's counting rate.  Skipped without /dev/kvm.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "irq_test.h"

#define MS		1000000ull

/* One VM on each side: KVM's file descriptors and the fabric. */
struct ref {
	struct test_vm vm;
	int kvm, vmfd, cpu[NR_APICS];
};

FIXTURE(ref) {
	struct ref r;
};

FIXTURE_SETUP(ref)
{
	self->r.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->r.kvm < 0)
		SKIP(return, "no /dev/kvm to compare with");
	self->r.vmfd = ioctl(self->r.kvm, KVM_CREATE_VM, 0);
	if (self->r.vmfd < 0 || ioctl(self->r.vmfd, KVM_CREATE_IRQCHIP, 0))
		SKIP(return, "KVM has no in-kernel irqchip here");
	for (int i = 0; i < NR_APICS; i++) {
		self->r.cpu[i] = ioctl(self->r.vmfd, KVM_CREATE_VCPU, i);
		ASSERT_LE(0, self->r.cpu[i]);
	}
	ASSERT_EQ(0, vm_init(&self->r.vm));
}

FIXTURE_TEARDOWN(ref)
{
	if (self->r.vm.f)
		vm_fini(&self->r.vm);
}

static uint32_t kreg(const struct kvm_lapic_state *s, uint32_t off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void kreg_set(struct kvm_lapic_state *s, uint32_t off, uint32_t v)
{
	memcpy(s->regs + off, &v, 4);
}

static int kget(int cpu, struct kvm_lapic_state *s)
{
	return ioctl(cpu, KVM_GET_LAPIC, s);
}

/* Writes one register of a KVM vCPU's LAPIC through its state page. */
static int kwrite(int cpu, uint32_t off, uint32_t v)
{
	struct kvm_lapic_state s;

	if (kget(cpu, &s))
		return -1;
	kreg_set(&s, off, v);
	return ioctl(cpu, KVM_SET_LAPIC, &s);
}

/* The same register write on both sides. */
static void both_wr(struct __test_metadata *_metadata,
		    struct ref *r, int i, uint32_t off, uint32_t v)
{
	ASSERT_EQ(0, kwrite(r->cpu[i], off, v));
	wr(r->vm.apic[i], off, v);
}

static void enable_all(struct __test_metadata *_metadata,
		       struct ref *r)
{
	for (int i = 0; i < NR_APICS; i++)
		both_wr(_metadata, r, i, R_SVR, 0x1ff);
}

/* ISR, TMR and IRR of every vCPU must be the same on both. */
static void compare_vectors(struct __test_metadata *_metadata,
			    struct ref *r)
{
	struct kvm_lapic_state s;

	for (int i = 0; i < NR_APICS; i++) {
		ASSERT_EQ(0, kget(r->cpu[i], &s));
		for (uint32_t off = R_ISR; off < R_IRR + 0x80; off += 0x10) {
			uint32_t mine = rd(r->vm.apic[i], off);

			if (kreg(&s, off) != mine)
				TH_LOG("cpu %d reg %#x: kvm %#x tcg %#x", i,
				       off, kreg(&s, off), mine);
			EXPECT_EQ(kreg(&s, off), mine);
		}
	}
}

static int get_ioapic(struct ref *r, struct kvm_irqchip *c)
{
	memset(c, 0, sizeof(*c));
	c->chip_id = KVM_IRQCHIP_IOAPIC;
	return ioctl(r->vmfd, KVM_GET_IRQCHIP, c);
}

static uint64_t my_rte(struct tcg_irq_fabric *f, unsigned int pin)
{
	uint32_t sel, lo, hi;

	sel = 0x10 + 2 * pin;
	ioapic_mmio_write(f, 0, &sel, 4);
	ioapic_mmio_read(f, 0x10, &lo, 4);
	sel++;
	ioapic_mmio_write(f, 0, &sel, 4);
	ioapic_mmio_read(f, 0x10, &hi, 4);
	return (uint64_t)hi << 32 | lo;
}

static void set_rtes(struct __test_metadata *_metadata,
		     struct ref *r, const uint64_t *rte)
{
	struct kvm_irqchip c;

	ASSERT_EQ(0, get_ioapic(r, &c));
	for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint32_t sel = 0x10 + 2 * pin, lo = rte[pin], hi = rte[pin] >> 32;

		c.chip.ioapic.redirtbl[pin].bits = rte[pin];
		ioapic_mmio_write(r->vm.f, 0, &sel, 4);
		ioapic_mmio_write(r->vm.f, 0x10, &lo, 4);
		sel++;
		ioapic_mmio_write(r->vm.f, 0, &sel, 4);
		ioapic_mmio_write(r->vm.f, 0x10, &hi, 4);
	}
	ASSERT_EQ(0, ioctl(r->vmfd, KVM_SET_IRQCHIP, &c));
}

static void compare_rtes(struct __test_metadata *_metadata,
			 struct ref *r)
{
	struct kvm_irqchip c;

	ASSERT_EQ(0, get_ioapic(r, &c));
	for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint64_t k = c.chip.ioapic.redirtbl[pin].bits;
		uint64_t mine = my_rte(r->vm.f, pin);

		if (k != mine)
			TH_LOG("pin %u: kvm %#llx tcg %#llx", pin,
			       (unsigned long long)k, (unsigned long long)mine);
		EXPECT_EQ(k, mine);
	}
}

static void both_irq_line(struct __test_metadata *_metadata,
			  struct ref *r, unsigned int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	ASSERT_EQ(0, ioctl(r->vmfd, KVM_IRQ_LINE, &l));
	ASSERT_EQ(0, ioapic_set_irq(r->vm.f, gsi, level));
}

TEST_F(ref, lapic_reset_registers)
{
	static const uint32_t regs[] = {
		R_ID, R_VERSION, R_TPR, R_LDR, R_DFR, R_SVR, R_ESR,
		R_ICR_LO, R_ICR_HI, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370,
		R_TMICT, R_TMCCT, R_TDCR,
	};
	struct kvm_lapic_state s;

	/* vCPU 0 is left out: KVM enables LINT0 ExtINT on the BSP (quirk). */
	for (int i = 1; i < NR_APICS; i++) {
		ASSERT_EQ(0, kget(self->r.cpu[i], &s));
		for (size_t r = 0; r < ARRAY_SIZE(regs); r++) {
			uint32_t mine = rd(self->r.vm.apic[i], regs[r]);

			if (kreg(&s, regs[r]) != mine)
				TH_LOG("reg %#x: kvm %#x tcg %#x", regs[r],
				       kreg(&s, regs[r]), mine);
			EXPECT_EQ(kreg(&s, regs[r]), mine);
		}
	}
	compare_vectors(_metadata, &self->r);
}

TEST_F(ref, ioapic_reset_table)
{
	compare_rtes(_metadata, &self->r);
}

TEST_F(ref, ioapic_edge_and_level_delivery)
{
	uint64_t rte[IOAPIC_NUM_PINS];

	enable_all(_metadata, &self->r);
	both_wr(_metadata, &self->r, 2, R_LDR, 0x04000000);
	for (unsigned int pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		rte[pin] = 1ull << 16;
	rte[4] = (1ull << 56) | 0x34;				/* edge */
	rte[10] = (1ull << 56) | (1 << 15) | 0x3a;		/* level */
	rte[11] = (2ull << 56) | (1 << 15) | (1 << 16) | 0x3b;	/* masked */
	rte[6] = (4ull << 56) | (1 << 11) | 0x46;		/* logical */
	rte[7] = (0xffull << 56) | (1 << 15) | 0x47;		/* broadcast */
	set_rtes(_metadata, &self->r, rte);
	compare_rtes(_metadata, &self->r);

	for (unsigned int pin = 4; pin <= 11; pin++)
		both_irq_line(_metadata, &self->r, pin, 1);
	compare_vectors(_metadata, &self->r);
	compare_rtes(_metadata, &self->r);	/* remote IRR of 10 and 7 */

	/* Lines dropped and raised again: edge repeats, level waits. */
	for (unsigned int pin = 4; pin <= 11; pin++)
		both_irq_line(_metadata, &self->r, pin, 0);
	for (unsigned int pin = 4; pin <= 11; pin++)
		both_irq_line(_metadata, &self->r, pin, 1);
	compare_vectors(_metadata, &self->r);
	compare_rtes(_metadata, &self->r);

	/* Unmasking an asserted level pin. */
	rte[11] &= ~(1ull << 16);
	set_rtes(_metadata, &self->r, rte);
	compare_vectors(_metadata, &self->r);
}

TEST_F(ref, msi_routing)
{
	static const struct { uint32_t addr, data; } msi[] = {
		{ 0xfee01000, 0x0041 },		/* physical, to 1 */
		{ 0xfee02000, 0xc042 },		/* level, asserted */
		{ 0xfee02000, 0x8049 },		/* level, de-asserted */
		{ 0xfee0f000, 0x0043 },		/* no such APIC */
		{ 0xfeeff000, 0x0044 },		/* physical broadcast */
		{ 0xfee06004, 0x0045 },		/* logical flat: 1 and 2 */
		{ 0xfee01004, 0x0046 },		/* logical: nobody */
		{ 0xfee00000, 0x0047 },		/* to a disabled LAPIC */
	};

	both_wr(_metadata, &self->r, 1, R_SVR, 0x1ff);
	both_wr(_metadata, &self->r, 2, R_SVR, 0x1ff);
	both_wr(_metadata, &self->r, 1, R_LDR, 0x02000000);
	both_wr(_metadata, &self->r, 2, R_LDR, 0x04000000);
	for (size_t i = 0; i < ARRAY_SIZE(msi); i++) {
		struct kvm_msi m = {
			.address_lo = msi[i].addr,
			.data = msi[i].data,
		};
		int k = ioctl(self->r.vmfd, KVM_SIGNAL_MSI, &m);
		int mine = fabric_signal_msi(self->r.vm.f, msi[i].addr,
					     msi[i].data);

		if (k < 0)
			k = 0;	/* KVM: -1 "no target" */
		if (k != mine)
			TH_LOG("msi %#x/%#x: kvm %d tcg %d", msi[i].addr,
			       msi[i].data, k, mine);
		EXPECT_EQ(k, mine);
	}
	compare_vectors(_metadata, &self->r);
}

static int both_msi(struct __test_metadata *_metadata, struct ref *r,
		    uint32_t addr, uint32_t data)
{
	struct kvm_msi m = { .address_lo = addr, .data = data };

	EXPECT_LE(0, ioctl(r->vmfd, KVM_SIGNAL_MSI, &m));
	return fabric_signal_msi(r->vm.f, addr, data);
}

static int kvm_mp_state(int cpu)
{
	struct kvm_mp_state mp = { 0 };

	ioctl(cpu, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

TEST_F(ref, nmi)
{
	struct kvm_vcpu_events ev;

	/* NMI by MSI: pending on KVM's vCPU, an NMI event here. */
	both_msi(_metadata, &self->r, 0xfee01000, 0x400);
	ASSERT_EQ(0, ioctl(self->r.cpu[1], KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(1, ev.nmi.pending);
	EXPECT_EQ(APIC_EVENT_NMI, (int)apic_take_event(self->r.vm.apic[1],
						       APIC_EVENT_ALL, NULL));
	EXPECT_FALSE(apic_has_event(self->r.vm.apic[0]));
}

TEST_F(ref, init_sipi)
{
	struct tcg_apic *a2 = self->r.vm.apic[2];
	struct kvm_sregs sregs;
	uint8_t vec = 0;

	both_wr(_metadata, &self->r, 2, R_SVR, 0x1ff);
	/* A SIPI before INIT: KVM's AP stays uninitialized, ours ignores. */
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, kvm_mp_state(self->r.cpu[2]));
	both_msi(_metadata, &self->r, 0xfee02000, 0x69a);
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, kvm_mp_state(self->r.cpu[2]));
	EXPECT_FALSE(apic_has_event(a2));

	/* INIT, then SIPI: KVM starts the AP at CS = vector << 8. */
	both_msi(_metadata, &self->r, 0xfee02000, 0x500);
	EXPECT_EQ(APIC_EVENT_INIT, (int)apic_take_event(a2, APIC_EVENT_ALL,
							&vec));
	if (kvm_mp_state(self->r.cpu[2]) == KVM_MP_STATE_UNINITIALIZED)
		SKIP(return, "KVM did not act on the INIT here");
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, kvm_mp_state(self->r.cpu[2]));
	both_msi(_metadata, &self->r, 0xfee02000, 0x69a);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, kvm_mp_state(self->r.cpu[2]));
	ASSERT_EQ(0, ioctl(self->r.cpu[2], KVM_GET_SREGS, &sregs));
	EXPECT_EQ(APIC_EVENT_SIPI, (int)apic_take_event(a2, APIC_EVENT_ALL,
							&vec));
	EXPECT_EQ(sregs.cs.selector, vec << 8);
}

TEST_F(ref, ppr_from_tpr_and_isr)
{
	struct tcg_apic *a = self->r.vm.apic[1];
	struct kvm_lapic_state s;

	both_wr(_metadata, &self->r, 1, R_SVR, 0x1ff);
	/* Vector 0x61 in service on both, then TPR 0x25 and 0x75. */
	ASSERT_EQ(0, kwrite(self->r.cpu[1], R_ISR + 0x30, 1u << 1));
	wr(a, R_ICR_LO, (1u << 18) | 0x61);
	ASSERT_EQ(0x61, take_irq(a));
	both_wr(_metadata, &self->r, 1, R_TPR, 0x25);
	ASSERT_EQ(0, kget(self->r.cpu[1], &s));
	EXPECT_EQ(kreg(&s, R_PPR), rd(a, R_PPR));
	both_wr(_metadata, &self->r, 1, R_TPR, 0x75);
	ASSERT_EQ(0, kget(self->r.cpu[1], &s));
	EXPECT_EQ(kreg(&s, R_PPR), rd(a, R_PPR));
}

/* Starts a one-shot count on both; returns when both run. */
static void start_timer(struct __test_metadata *_metadata,
			struct ref *r, uint32_t dcr, uint32_t count)
{
	struct kvm_lapic_state s;

	both_wr(_metadata, r, 1, R_SVR, 0x1ff);
	both_wr(_metadata, r, 1, R_LVT_TIMER, 0x100ec);
	both_wr(_metadata, r, 1, R_TDCR, dcr);
	/* KVM restarts the timer from TMCCT of a KVM_SET_LAPIC state. */
	ASSERT_EQ(0, kget(r->cpu[1], &s));
	kreg_set(&s, R_TMICT, count);
	kreg_set(&s, R_TMCCT, count);
	ASSERT_EQ(0, ioctl(r->cpu[1], KVM_SET_LAPIC, &s));
	wr(r->vm.apic[1], R_TMICT, count);
}

static void compare_count(struct __test_metadata *_metadata,
			  struct ref *r, uint32_t tolerance)
{
	struct kvm_lapic_state s;
	uint32_t mine;

	ASSERT_EQ(0, kget(r->cpu[1], &s));
	mine = rd(r->vm.apic[1], R_TMCCT);
	TH_LOG("current count: kvm %u tcg %u", kreg(&s, R_TMCCT), mine);
	EXPECT_GE(tolerance, kreg(&s, R_TMCCT) > mine ?
			     kreg(&s, R_TMCCT) - mine :
			     mine - kreg(&s, R_TMCCT));
}

TEST_F(ref, timer_counts_at_kvm_bus_rate)
{
	/* Divide by 1: 100 ms of counts at 1 GHz; 3 ms tolerance. */
	start_timer(_metadata, &self->r, 0xb, 100000000);
	sleep_ns(30 * MS);
	compare_count(_metadata, &self->r, 3000000);
	/* Divide by 16. */
	start_timer(_metadata, &self->r, 0x3, 10000000);
	sleep_ns(30 * MS);
	compare_count(_metadata, &self->r, 3000000 / 16);
}

/*
 * 6.1's harness runs a test body even after its fixture set-up SKIPs, so a
 * machine without /dev/kvm is skipped here, before any test starts.
 */
int main(int argc, char **argv)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		ksft_print_header();
		ksft_exit_skip("no /dev/kvm to compare with\n");
	}
	close(fd);
	return test_harness_run(argc, argv);
}
