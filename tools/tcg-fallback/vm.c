// SPDX-License-Identifier: GPL-2.0
/*
 * The tcg.h API: VMs, memory slots, vCPUs, register access and the run loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xmmintrin.h>

#include "intc.h"
#include "apic.h"
#include "profile.h"

static int host_write_guest(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct tcg_vm *vm = opaque;
	struct mem_slot *s = find_slot(vm, gpa);

	if (!s || gpa - s->gpa + len > s->size)
		return -EFAULT;
	memcpy(s->host + (gpa - s->gpa), buf, len);
	tcg_vm_host_write(vm, gpa, len);
	return 0;
}

struct tcg_vm *tcg_vm_create(void)
{
	struct tcg_vm *vm = calloc(1, sizeof(*vm));
	/* No kick callback: the run loop polls the event flag per block. */
	struct tcg_fabric_host host = {
		.write_guest = host_write_guest,
	};

	if (!vm)
		return NULL;
	profile_vm_init();
	pthread_mutex_init(&vm->lock, NULL);
	vm->jit_threshold = jit_threshold_from_env();
	host.vm_opaque = vm;
	vm->fabric = fabric_create(&host);
	if (!vm->fabric) {
		free(vm);
		return NULL;
	}
	return vm;
}

void tcg_vm_destroy(struct tcg_vm *vm)
{
	int k;

	if (!vm)
		return;
	for (k = 0; k < MAX_VCPUS; k++)
		if (vm->vcpus[k])
			tcg_vcpu_destroy(vm->vcpus[k]);
	fabric_destroy(vm->fabric);
	for (k = 0; k < vm->nslots; k++)
		free(vm->slots[k].gen);
	for (k = 0; k < vm->nretired; k++)
		free(vm->retired[k]);
	free(vm->retired);
	free(vm);
}

void tcg_vm_set_io_ops(struct tcg_vm *vm, const struct tcg_io_ops *ops)
{
	vm->io = *ops;
}

/* Generation arrays stay allocated until the VM goes: a vCPU on another
 * thread may still hold blocks that point into them. */
static void retire_gen(struct tcg_vm *vm, uint32_t *gen)
{
	uint32_t **n = realloc(vm->retired, (vm->nretired + 1) * sizeof(*n));

	if (!n)
		return;	/* leaking is the safe choice */
	vm->retired = n;
	vm->retired[vm->nretired++] = gen;
}

int tcg_set_user_memory_region(struct tcg_vm *vm,
			       const struct kvm_userspace_memory_region *r)
{
	struct mem_slot *s = NULL;
	uint32_t *gen = NULL;
	int k;

	if ((r->guest_phys_addr | r->memory_size | r->userspace_addr) & 0xfff)
		return -EINVAL;
	if (r->memory_size) {
		gen = calloc(r->memory_size >> 12, sizeof(*gen));
		if (!gen)
			return -ENOMEM;
		for (k = 0; k < vm->nslots; k++) {
			struct mem_slot *o = &vm->slots[k];

			if (o->slot != (r->slot & 0xffff) &&
			    r->guest_phys_addr < o->gpa + o->size &&
			    o->gpa < r->guest_phys_addr + r->memory_size) {
				free(gen);
				return -EEXIST;
			}
		}
	}
	pthread_mutex_lock(&vm->lock);
	for (k = 0; k < vm->nslots; k++)
		if (vm->slots[k].slot == (r->slot & 0xffff))
			s = &vm->slots[k];
	if (s) {
		retire_gen(vm, s->gen);
		*s = vm->slots[--vm->nslots];
	}
	if (r->memory_size) {
		if (vm->nslots == MAX_SLOTS) {
			pthread_mutex_unlock(&vm->lock);
			free(gen);
			return -ENOSPC;
		}
		s = &vm->slots[vm->nslots];
		s->gpa = r->guest_phys_addr;
		s->size = r->memory_size;
		s->host = (uint8_t *)(uintptr_t)r->userspace_addr;
		s->gen = gen;
		s->slot = r->slot & 0xffff;
		s->flags = r->flags;
		__atomic_store_n(&vm->nslots, vm->nslots + 1, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&vm->mem_epoch, 1, __ATOMIC_RELEASE);
	for (k = 0; k < MAX_VCPUS; k++)
		if (vm->vcpus[k])
			__atomic_fetch_or(&vm->vcpus[k]->events, EV_MEM, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

void tcg_vm_host_write(struct tcg_vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len, p;

	if (!len)
		return;
	for (p = gpa & ~0xfffull; p < end; p += 0x1000) {
		struct mem_slot *s = find_slot(vm, p);
		uint32_t *g, v;

		if (!s)
			continue;
		g = &s->gen[(p - s->gpa) >> 12];
		v = __atomic_load_n(g, __ATOMIC_RELAXED);
		if (v & GEN_CODE)
			__atomic_store_n(g, (v + 1) & ~GEN_CODE, __ATOMIC_RELEASE);
	}
}

int tcg_irq_line(struct tcg_vm *vm, unsigned int gsi, int level)
{
	return ioapic_set_irq(vm->fabric, gsi, level);
}

int tcg_signal_msi(struct tcg_vm *vm, const struct kvm_msi *msi)
{
	uint64_t addr = ((uint64_t)msi->address_hi << 32) | msi->address_lo;

	return fabric_signal_msi(vm->fabric, addr, msi->data);
}

/* The architectural state after RESET/INIT (SDM table 9-1). */
void vcpu_reset(struct tcg_vcpu *c)
{
	int s;

	memset(c->r, 0, sizeof(c->r));
	c->r[R_DX] = 0x600;
	c->rip = 0xfff0;
	set_flags(c, 2);
	for (s = 0; s < 6; s++) {
		memset(&c->seg[s], 0, sizeof(c->seg[s]));
		c->seg[s].limit = 0xffff;
		c->seg[s].present = 1;
		c->seg[s].s = 1;
		c->seg[s].type = s == S_CS ? 0xb : 0x3;
	}
	c->seg[S_CS].selector = 0xf000;
	c->seg[S_CS].base = 0xffff0000;
	memset(&c->tr, 0, sizeof(c->tr));
	c->tr.limit = 0xffff;
	c->tr.type = 0xb;
	c->tr.present = 1;
	memset(&c->ldt, 0, sizeof(c->ldt));
	c->ldt.limit = 0xffff;
	c->ldt.type = 2;
	c->ldt.present = 1;
	c->gdt.base = c->idt.base = 0;
	c->gdt.limit = c->idt.limit = 0xffff;
	c->cr0 = CR0_ET | CR0_CD | CR0_NW;
	c->cr2 = c->cr3 = c->cr4 = 0;
	c->efer = 0;
	c->cpl = 0;
	c->mxcsr = 0x1f80;
	c->fpu.fcw = 0x37f;
	c->fpu.fsw = 0;
	c->fpu.ftw = 0;
	c->fpu.top = 0;
	memset(c->xmm, 0, sizeof(c->xmm));
	c->intr_shadow = false;
	c->nmi_blocked = false;
	c->delivering = -1;
	tlb_flush(c);
	update_mode(c);
}

struct tcg_vcpu *tcg_vcpu_create(struct tcg_vm *vm, unsigned int id)
{
	struct tcg_vcpu *c;

	if (id >= MAX_VCPUS || vm->vcpus[id]) {
		errno = id >= MAX_VCPUS ? EINVAL : EEXIST;
		return NULL;
	}
	if (posix_memalign((void **)&c, 64, sizeof(*c)))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->arena = mmap(NULL, BLOCK_ARENA, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->arena == MAP_FAILED) {
		free(c);
		return NULL;
	}
	c->vm = vm;
	c->id = id;
	c->tlb_nlog = TLB_LOG + 1;	/* nothing valid yet: the first flush clears all */
	jit_cache_reset(c);
	/* Before any sandbox: the code arena needs memfd_create() and an
	 * executable mapping.  Without it the vCPU interprets. */
	jit_init(&c->jit, vm->jit_threshold);
	c->apic = apic_create(vm->fabric, id, c);
	if (!c->apic) {
		jit_destroy(&c->jit);
		munmap(c->arena, BLOCK_ARENA);
		free(c);
		return NULL;
	}
	vcpu_reset(c);
	c->pat = 0x0007040600070406ull;
	c->misc_enable = 1;	/* fast strings */
	c->mtrr_cap = 0x508;	/* 8 variable ranges, fixed ranges, WC */
	c->state = id == 0 ? VCPU_RUNNING : VCPU_WAIT_SIPI;
	c->mem_epoch = vm->mem_epoch;
	/* The first poll looks at everything: the slot layout or the APIC
	 * may have changed before this vCPU could be told. */
	c->events = EV_MEM | EV_APIC;
	apic_set_event_word(c->apic, &c->events, EV_APIC);
	vm->vcpus[id] = c;
	return c;
}

void tcg_vcpu_destroy(struct tcg_vcpu *c)
{
	if (!c)
		return;
	profile_vcpu_done(c);
	c->vm->vcpus[c->id] = NULL;
	apic_destroy(c->apic);
	jit_destroy(&c->jit);
	munmap(c->arena, BLOCK_ARENA);
	free(c->cpuid);
	free(c);
}

int tcg_get_regs(struct tcg_vcpu *c, struct kvm_regs *r)
{
	r->rax = c->r[R_AX]; r->rcx = c->r[R_CX]; r->rdx = c->r[R_DX];
	r->rbx = c->r[R_BX]; r->rsp = c->r[R_SP]; r->rbp = c->r[R_BP];
	r->rsi = c->r[R_SI]; r->rdi = c->r[R_DI];
	r->r8 = c->r[8]; r->r9 = c->r[9]; r->r10 = c->r[10]; r->r11 = c->r[11];
	r->r12 = c->r[12]; r->r13 = c->r[13]; r->r14 = c->r[14]; r->r15 = c->r[15];
	r->rip = c->rip;
	r->rflags = get_flags(c);
	return 0;
}

int tcg_set_regs(struct tcg_vcpu *c, const struct kvm_regs *r)
{
	c->r[R_AX] = r->rax; c->r[R_CX] = r->rcx; c->r[R_DX] = r->rdx;
	c->r[R_BX] = r->rbx; c->r[R_SP] = r->rsp; c->r[R_BP] = r->rbp;
	c->r[R_SI] = r->rsi; c->r[R_DI] = r->rdi;
	c->r[8] = r->r8; c->r[9] = r->r9; c->r[10] = r->r10; c->r[11] = r->r11;
	c->r[12] = r->r12; c->r[13] = r->r13; c->r[14] = r->r14; c->r[15] = r->r15;
	c->rip = r->rip;
	set_flags(c, (r->rflags & 0x3f7fd7) | 2);
	c->state = VCPU_RUNNING;
	return 0;
}

int tcg_get_sregs(struct tcg_vcpu *c, struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	s->es = c->seg[S_ES]; s->cs = c->seg[S_CS]; s->ss = c->seg[S_SS];
	s->ds = c->seg[S_DS]; s->fs = c->seg[S_FS]; s->gs = c->seg[S_GS];
	s->tr = c->tr;
	s->ldt = c->ldt;
	s->gdt = c->gdt;
	s->idt = c->idt;
	s->cr0 = c->cr0; s->cr2 = c->cr2; s->cr3 = c->cr3; s->cr4 = c->cr4;
	s->cr8 = intc_get_cr8(c);
	s->efer = c->efer;
	s->apic_base = apic_get_base(c->apic);
	return 0;
}

int tcg_set_sregs(struct tcg_vcpu *c, const struct kvm_sregs *s)
{
	bool ok;

	c->seg[S_ES] = s->es; c->seg[S_CS] = s->cs; c->seg[S_SS] = s->ss;
	c->seg[S_DS] = s->ds; c->seg[S_FS] = s->fs; c->seg[S_GS] = s->gs;
	c->tr = s->tr;
	c->ldt = s->ldt;
	c->gdt = s->gdt;
	c->idt = s->idt;
	c->cr0 = s->cr0; c->cr2 = s->cr2; c->cr3 = s->cr3; c->cr4 = s->cr4;
	c->efer = s->efer;
	intc_set_cr8(c, s->cr8 & 0xf);
	if (s->apic_base != apic_get_base(c->apic))
		intc_wrmsr(c, MSR_APIC_BASE, s->apic_base, &ok);
	c->cpl = (c->cr0 & CR0_PE) ? c->seg[S_SS].dpl : 0;
	c->state = VCPU_RUNNING;
	tlb_flush(c);
	update_mode(c);
	return 0;
}

int tcg_get_fpu(struct tcg_vcpu *c, struct kvm_fpu *f)
{
	int k;

	memset(f, 0, sizeof(*f));
	for (k = 0; k < 8; k++)
		memcpy(f->fpr[k], &c->fpu.st[(c->fpu.top + k) & 7], 10);
	f->fcw = c->fpu.fcw;
	f->fsw = (c->fpu.fsw & ~0x3800) | (c->fpu.top << 11);
	f->ftwx = c->fpu.ftw;
	memcpy(f->xmm, c->xmm, sizeof(f->xmm));
	f->mxcsr = c->mxcsr;
	return 0;
}

int tcg_set_fpu(struct tcg_vcpu *c, const struct kvm_fpu *f)
{
	int k;

	c->fpu.fcw = f->fcw;
	c->fpu.top = (f->fsw >> 11) & 7;
	c->fpu.fsw = f->fsw & ~0x3800;
	c->fpu.ftw = f->ftwx;
	for (k = 0; k < 8; k++) {
		c->fpu.st[(c->fpu.top + k) & 7] = 0;
		memcpy(&c->fpu.st[(c->fpu.top + k) & 7], f->fpr[k], 10);
	}
	memcpy(c->xmm, f->xmm, sizeof(c->xmm));
	c->mxcsr = f->mxcsr & 0xffff;
	return 0;
}

int tcg_set_cpuid2(struct tcg_vcpu *c, const struct kvm_cpuid2 *cpuid)
{
	struct kvm_cpuid_entry2 *e;

	if (cpuid->nent > 256)
		return -E2BIG;
	e = malloc(cpuid->nent * sizeof(*e) + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e, cpuid->entries, cpuid->nent * sizeof(*e));
	free(c->cpuid);
	c->cpuid = e;
	c->ncpuid = cpuid->nent;
	return 0;
}

int tcg_get_msrs(struct tcg_vcpu *c, struct kvm_msrs *msrs)
{
	unsigned int k;
	bool ok;

	for (k = 0; k < msrs->nmsrs; k++) {
		msrs->entries[k].data = read_msr_value(c, msrs->entries[k].index, &ok);
		if (!ok)
			break;
	}
	return k;
}

int tcg_set_msrs(struct tcg_vcpu *c, const struct kvm_msrs *msrs)
{
	unsigned int k;

	for (k = 0; k < msrs->nmsrs; k++)
		if (!write_msr_value(c, msrs->entries[k].index, msrs->entries[k].data))
			break;
	return k;
}

void tcg_vcpu_kick(struct tcg_vcpu *c)
{
	c->kick = true;
	__atomic_fetch_or(&c->events, EV_KICK, __ATOMIC_RELEASE);
	apic_wake(c->apic);
}

uint64_t tcg_vcpu_insn_count(const struct tcg_vcpu *c)
{
	return c->icount;
}

uint64_t tcg_vcpu_jit_blocks(const struct tcg_vcpu *c)
{
	return c->jit.blocks;
}

const char *tcg_vcpu_error(const struct tcg_vcpu *c)
{
	return c->error;
}

/*
 * Interprets a block: RIP lives in a host register between instructions and
 * is stored for the handlers and for faults.  Returns the instructions
 * retired.
 */
static __attribute__((noinline)) uint32_t interpret_block(struct tcg_vcpu *c,
							   const struct block *b)
{
	const struct insn *i = b->insn, *end = i + b->n;
	uint64_t rip = c->rip;

	do {
		c->r[R_NEXT_RIP] = rip + i->len;
		i->fn(c, i);
		rip = c->r[R_NEXT_RIP];
		c->rip = rip;
		i++;
	} while (i < end && likely(!c->stop));
	return i[-1].icount_to;
}

/*
 * Executes one translated block: its host code once it is hot (jit.c), else
 * its decoded instructions one by one.  The retired instructions are
 * counted once per block (see count_partial_block() for faults).
 */
static __attribute__((noinline)) void run_block(struct tcg_vcpu *c, struct block *b)
{
	uint64_t n;

	c->stop = 0;
	c->intr_shadow = false;
	c->cur_block = b;
	c->cur_block_rip = c->rip;
	if (unlikely(++b->runs == c->jit.threshold))
		jit_compile(c, b);
	n = b->jit ? b->jit(c) : interpret_block(c, b);
	c->icount += n;
	if (unlikely(profile_enabled))
		profile_block(c, c->cur_block_rip + c->sbase[S_CS], n);
	c->cur_block = NULL;
	/* RF (set by IRET or a fault image) lasts for one instruction. */
	c->flags &= ~(uint64_t)F_RF;
}

/* A fault left run_block(): count the instructions before the faulting one. */
static void count_partial_block(struct tcg_vcpu *c)
{
	const struct block *b = c->cur_block;
	uint64_t rip = c->cur_block_rip;
	int k;

	if (!b)
		return;
	for (k = 0; k < b->n && rip != c->rip; k++)
		rip += b->insn[k].len;
	c->icount += k ? b->insn[k - 1].icount_to : 0;
	c->cur_block = NULL;
}

/* The guest-physical address of CS:RIP, through the instruction TLB. */
static uint64_t code_gpa(struct tcg_vcpu *c)
{
	uint64_t lin = seg_lin(c, S_CS, c->rip), gpa;
	struct tlb_entry *e = tlb_of(c, lin);
	int err;

	if (likely(e->tag_x == (lin & ~0xfffull)))
		return e->gpa | (lin & 0xfff);
	if (!translate(c, lin, ACC_X, c->cpl == 3, &gpa, &err, NULL)) {
		if (err < 0)
			raise_exc(c, EXC_GP, 0);
		c->cr2 = lin;
		raise_exc(c, EXC_PF, err);
	}
	/* Fill the TLB through an ordinary read of the code byte. */
	if (find_slot(c->vm, gpa) && !intc_claims(c, gpa))
		mem_read_slow(c, lin, 1);
	return gpa;
}

/* The block at CS:RIP, through the links of the previous block if possible. */
static struct block *next_block(struct tcg_vcpu *c)
{
	struct block *p = c->prev_block, *b;
	uint64_t gpa = code_gpa(c);
	int k;

	if (p) {
		for (k = 0; k < 2; k++) {
			b = p->link[k];
			if (block_is(b, gpa, c->code_mode))
				return b;
		}
	}
	b = lookup_block(c, gpa, seg_lin(c, S_CS, c->rip));
	/* Translating may have flushed the cache that held p. */
	if (p && c->prev_block == p)
		p->link[p->next_link++ & 1] = b;
	return b;
}

static void sync_epoch(struct tcg_vcpu *c)
{
	uint32_t ep = __atomic_load_n(&c->vm->mem_epoch, __ATOMIC_ACQUIRE);

	if (ep != c->mem_epoch) {
		c->mem_epoch = ep;
		tlb_flush(c);
		tc_flush(c);
	}
}

/*
 * The slow path of the per-block poll: handles whatever the event word
 * announced, looking at the conditions themselves.  True: leave the run
 * loop with *@reason.
 */
static bool leave_or_wait(struct tcg_vcpu *c, enum tcg_exit *reason)
{
	bool leave = false;

	__atomic_exchange_n(&c->events, 0, __ATOMIC_ACQUIRE);
	sync_epoch(c);
	if (c->kick) {
		c->kick = false;
		*reason = TCG_EXIT_INTR;
		leave = true;
	} else {
		if (intc_has_event(c))
			intc_events(c);
		if (c->state == VCPU_HALTED && !(c->flags & F_IF)) {
			/* intc_events() took any NMI/INIT/SIPI: with IF=0
			 * nothing else can end this HLT. */
			*reason = TCG_EXIT_HLT;
			leave = true;
		} else if (c->state != VCPU_RUNNING) {
			intc_wait(c);
		}
	}
	/* An event that could not be taken yet (IF=0, an interrupt shadow,
	 * a kick first) is looked at again at the next block. */
	if (intc_has_event(c))
		__atomic_fetch_or(&c->events, EV_APIC, __ATOMIC_RELAXED);
	return leave;
}

int tcg_vcpu_run(struct tcg_vcpu *c, enum tcg_exit *reason)
{
	unsigned int host_mxcsr = _mm_getcsr();
	uint16_t host_fcw = x87_enter(c);
	struct block *b;

	/* Guest SSE arithmetic runs on the host unit with the guest's
	 * rounding and flags; exceptions stay masked on the host. */
	_mm_setcsr(c->mxcsr | 0x1f80);
	if (setjmp(c->jmp)) {
		count_partial_block(c);
		if (c->exc_vec == EXC_INTERNAL) {
			*reason = TCG_EXIT_INTERNAL_ERROR;
			goto out;
		}
		c->stop = 0;
		c->prev_block = NULL;
		c->jit_exit = NULL;
		if (!deliver_exception(c)) {
			*reason = TCG_EXIT_SHUTDOWN;
			c->delivering = -1;
			goto out;
		}
	}
	for (;;) {
		/* One test for everything that interrupts straight-line
		 * execution: a kick, a memory map change, an APIC event (the
		 * event word), a halted vCPU. */
		if (unlikely(__atomic_load_n(&c->events, __ATOMIC_RELAXED) |
			     c->state)) {
			if (leave_or_wait(c, reason))
				break;
			if (c->state != VCPU_RUNNING)
				continue;
		}
		b = next_block(c);
		if (c->jit_exit)
			jit_link(c, b);
		c->prev_block = b;
		run_block(c, b);
	}
out:
	c->mxcsr = (c->mxcsr & ~0x3fu) | (_mm_getcsr() & 0x3f);
	_mm_setcsr(host_mxcsr);
	x87_leave(c, host_fcw);
	return 0;
}
