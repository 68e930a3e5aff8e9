// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: physical slots, page walks, the software TLB and the slow
 * paths of loads and stores (page-crossing accesses, MMIO, code pages).
 */

#include "cpu.h"
#include "intc.h"

struct mem_slot *find_slot(struct tcg_vm *vm, uint64_t gpa)
{
	int k;

	for (k = 0; k < vm->nslots; k++) {
		struct mem_slot *s = &vm->slots[k];

		if (gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

void tlb_flush(struct tcg_vcpu *c)
{
	struct tlb_entry *all = &c->tlb[0][0];
	unsigned int k;

	if (c->tlb_nlog > TLB_LOG) {
		memset(c->tlb, 0xff, sizeof(c->tlb));
	} else {
		for (k = 0; k < c->tlb_nlog; k++)
			memset(&all[c->tlb_log[k]], 0xff, sizeof(*all));
	}
	c->tlb_nlog = 0;
	c->chain_epoch++;
}

/* Fills TLB entry @e for RAM at @s, logging it for tlb_flush(). */
static void tlb_fill(struct tcg_vcpu *c, struct tlb_entry *e, const struct tlb_entry *fill,
		     struct mem_slot *s, uint64_t lin)
{
	if (e->tag_r == TLB_NONE && c->tlb_nlog <= TLB_LOG) {
		if (c->tlb_nlog < TLB_LOG)
			c->tlb_log[c->tlb_nlog] = e - &c->tlb[0][0];
		c->tlb_nlog++;
	}
	*e = *fill;
	e->addend = (uintptr_t)(s->host + (fill->gpa - s->gpa)) - (lin & ~0xfffull);
	e->gen = &s->gen[(fill->gpa - s->gpa) >> 12];
}

void tlb_flush_page(struct tcg_vcpu *c, uint64_t lin)
{
	int k;

	c->chain_epoch++;
	for (k = 0; k < 2; k++) {
		struct tlb_entry *e = &c->tlb[k][(lin >> 12) & (TLB_SIZE - 1)];

		if (e->tag_r == (lin & ~0xfffull) || e->tag_x == (lin & ~0xfffull))
			memset(e, 0xff, sizeof(*e));
	}
}

/* A store hit a page that has translated code: retire the translations. */
void code_write(struct tcg_vcpu *c, uint32_t *gen)
{
	uint32_t g = __atomic_load_n(gen, __ATOMIC_RELAXED);

	if (g & GEN_CODE) {
		__atomic_store_n(gen, (g + 1) & ~GEN_CODE, __ATOMIC_RELEASE);
		c->stop = 1;
	}
}

static uint64_t *pte_ptr(struct tcg_vcpu *c, uint64_t gpa)
{
	struct mem_slot *s = find_slot(c->vm, gpa);

	if (!s || gpa - s->gpa + 8 > s->size)
		internal_error(c, "page table at %#llx is not in RAM",
			       (unsigned long long)gpa);
	return (uint64_t *)(s->host + (gpa - s->gpa));
}

static void set_bits(struct tcg_vcpu *c, uint64_t *p, int esz, uint64_t bits)
{
	if (esz == 8)
		__atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or((uint32_t *)p, (uint32_t)bits, __ATOMIC_RELAXED);
}

#define PTE_P	1ull
#define PTE_W	2ull
#define PTE_U	4ull
#define PTE_A	0x20ull
#define PTE_D	0x40ull
#define PTE_PS	0x80ull
#define PTE_NX	(1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

struct walk {
	uint64_t gpa;
	bool w, u, nx, clean;
};

/*
 * Walks the page tables of the current paging mode.  Returns 0 or a page
 * fault error code (without the access bits).
 */
static int walk(struct tcg_vcpu *c, uint64_t lin, bool write, struct walk *out)
{
	int levels, esz, bits, lvl;
	uint64_t table, e = 0, pte_mask = PTE_ADDR;
	uint64_t *p = NULL;
	bool lm = c->efer & EFER_LMA, pae = c->cr4 & CR4_PAE;

	out->w = out->u = true;
	out->nx = out->clean = false;
	if (lm) {
		levels = 4; esz = 8; bits = 9;
		table = c->cr3 & PTE_ADDR;
	} else if (pae) {
		uint64_t pdpte = *pte_ptr(c, (c->cr3 & ~0x1full) + ((lin >> 30) & 3) * 8);

		if (!(pdpte & PTE_P))
			return -1;
		levels = 2; esz = 8; bits = 9;
		table = pdpte & PTE_ADDR;
	} else {
		levels = 2; esz = 4; bits = 10;
		table = c->cr3 & 0xfffff000ull;
		pte_mask = 0xfffff000ull;
	}
	for (lvl = levels; lvl >= 1; lvl--) {
		int shift = 12 + (lvl - 1) * bits;
		uint64_t idx = (lin >> shift) & ((1ull << bits) - 1);

		p = pte_ptr(c, table + idx * esz);
		e = esz == 8 ? __atomic_load_n(p, __ATOMIC_RELAXED) :
			       __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
		if (!(e & PTE_P))
			return -1;
		if ((e & PTE_NX) && !(c->efer & EFER_NXE))
			return PF_RSVD | PF_P;
		out->w &= !!(e & PTE_W);
		out->u &= !!(e & PTE_U);
		out->nx |= !!(e & PTE_NX) && (c->efer & EFER_NXE);
		if (!(e & PTE_A))
			set_bits(c, p, esz, PTE_A);
		if (lvl > 1 && (e & PTE_PS) && (lvl <= 2 + lm) &&
		    (esz == 8 || (c->cr4 & CR4_PSE))) {
			uint64_t off = lin & ((1ull << shift) - 1);
			uint64_t base = esz == 8 ? e & PTE_ADDR & ~((1ull << shift) - 1) :
				((e & 0xffc00000ull) | ((e & 0x1fe000ull) << 19));

			out->gpa = (base + off) & ~0xfffull;
			goto leaf;
		}
		table = e & pte_mask;
	}
	out->gpa = e & pte_mask;
leaf:
	out->gpa &= ~0xfffull;
	if (write && !(e & PTE_D))
		set_bits(c, p, esz, PTE_D | PTE_A);
	/* A clean leaf must not get a TLB write entry: the first store has
	 * to come back here to set D. */
	out->clean = !(e & PTE_D) && !write;
	return 0;
}

/*
 * Translates a linear address.  On failure, *err is the page fault error
 * code, or -1 for a non-canonical address (#GP).
 */
bool translate(struct tcg_vcpu *c, uint64_t lin, enum acc acc, bool user,
	       uint64_t *gpa, int *err, struct tlb_entry *fill)
{
	struct walk w;
	int r;
	bool wp = c->cr0 & CR0_WP;

	if (!(c->cr0 & CR0_PG)) {
		*gpa = lin;
		if (fill) {
			fill->tag_r = fill->tag_w = fill->tag_x = lin & ~0xfffull;
			fill->gpa = lin & ~0xfffull;
		}
		return true;
	}
	if ((c->efer & EFER_LMA) && (uint64_t)((int64_t)(lin << 16) >> 16) != lin) {
		*err = -1;
		return false;
	}
	r = walk(c, lin, acc == ACC_W, &w);
	if (r) {
		*err = (r == -1 ? 0 : r);
		goto fault;
	}
	*err = PF_P;
	if (user && !w.u)
		goto fault;
	if (acc == ACC_W && !w.w && (user || wp))
		goto fault;
	if (acc == ACC_X && w.nx)
		goto fault;
	*gpa = w.gpa | (lin & 0xfff);
	if (fill) {
		uint64_t pg = lin & ~0xfffull;
		bool can_w = (w.w || (!user && !wp)) && !w.clean;

		fill->tag_r = (!user || w.u) ? pg : TLB_NONE;
		fill->tag_w = fill->tag_r != TLB_NONE && can_w ? pg : TLB_NONE;
		fill->tag_x = fill->tag_r != TLB_NONE && !w.nx ? pg : TLB_NONE;
		fill->gpa = w.gpa;
	}
	return true;
fault:
	if (acc == ACC_W)
		*err |= PF_W;
	if (user)
		*err |= PF_U;
	if (acc == ACC_X && (c->efer & EFER_NXE))
		*err |= PF_I;
	return false;
}

__attribute__((noreturn))
static void xlate_fault(struct tcg_vcpu *c, uint64_t lin, int err)
{
	if (err < 0)
		raise_exc(c, EXC_GP, 0);
	c->cr2 = lin;
	raise_exc(c, EXC_PF, err);
}

/* Device access to guest-physical memory that is not RAM. */
static void mmio(struct tcg_vcpu *c, uint64_t gpa, void *data, int len, bool write)
{
	if (intc_mmio(c, gpa, data, len, write))
		return;
	if (c->vm->io.mmio) {
		if (!write)
			memset(data, 0xff, len);
		c->vm->io.mmio(c->vm->io.opaque, gpa, data, len, write);
		if (c->kick)
			c->stop = 1;
	} else if (!write) {
		memset(data, 0xff, len);
	}
}

/* Physical access that may cross slots; used by the slow paths. */
void phys_access(struct tcg_vcpu *c, uint64_t gpa, void *data, int len, bool write)
{
	struct mem_slot *s = find_slot(c->vm, gpa);

	if (!s || gpa - s->gpa + len > s->size) {
		mmio(c, gpa, data, len, write);
		return;
	}
	if (write) {
		code_write(c, &s->gen[(gpa - s->gpa) >> 12]);
		memcpy(s->host + (gpa - s->gpa), data, len);
	} else {
		memcpy(data, s->host + (gpa - s->gpa), len);
	}
}

/* One access within a page: translate, fill the TLB for RAM, dispatch. */
static void access_page(struct tcg_vcpu *c, uint64_t lin, void *data, int len,
			enum acc acc, bool user)
{
	struct tlb_entry fill, *e;
	struct mem_slot *s;
	uint64_t gpa;
	int err;

	if (!translate(c, lin, acc, user, &gpa, &err, &fill))
		xlate_fault(c, lin, err);
	s = find_slot(c->vm, gpa);
	if (!s || intc_claims(c, gpa)) {
		mmio(c, gpa, data, len, acc == ACC_W);
		return;
	}
	if (user == (c->cpl == 3)) {
		e = tlb_of(c, lin);
		tlb_fill(c, e, &fill, s, lin);
	}
	phys_access(c, gpa, data, len, acc == ACC_W);
}

static void access(struct tcg_vcpu *c, uint64_t lin, void *data, int len,
		   enum acc acc, bool user)
{
	int first = 0x1000 - (lin & 0xfff);
	uint64_t gpa;
	int err;

	if (first >= len) {
		access_page(c, lin, data, len, acc, user);
		return;
	}
	/* Check both pages before touching either, for a precise fault. */
	if (!translate(c, lin + first, acc, user, &gpa, &err, NULL))
		xlate_fault(c, lin + first, err);
	if (!translate(c, lin, acc, user, &gpa, &err, NULL))
		xlate_fault(c, lin, err);
	access_page(c, lin, data, first, acc, user);
	access_page(c, lin + first, (uint8_t *)data + first, len - first, acc, user);
}

uint64_t mem_read_slow(struct tcg_vcpu *c, uint64_t lin, int sz)
{
	uint64_t v = 0;

	access(c, lin, &v, sz, ACC_R, c->cpl == 3);
	return v;
}

void mem_write_slow(struct tcg_vcpu *c, uint64_t lin, int sz, uint64_t v)
{
	access(c, lin, &v, sz, ACC_W, c->cpl == 3);
}

void mem_read_buf(struct tcg_vcpu *c, uint64_t lin, void *buf, int len)
{
	access(c, lin, buf, len, ACC_R, c->cpl == 3);
}

void mem_write_buf(struct tcg_vcpu *c, uint64_t lin, const void *buf, int len)
{
	access(c, lin, (void *)buf, len, ACC_W, c->cpl == 3);
}

/* Implicit supervisor accesses: descriptor tables, TSS, interrupt frames. */
uint64_t mem_read_sup(struct tcg_vcpu *c, uint64_t lin, int sz)
{
	uint64_t v = 0;

	access(c, lin, &v, sz, ACC_R, false);
	return v;
}

void mem_write_sup(struct tcg_vcpu *c, uint64_t lin, int sz, uint64_t v)
{
	access(c, lin, &v, sz, ACC_W, false);
}

/* Raises the fault a store of @sz bytes at @lin would raise, if any. */
void mem_probe_write(struct tcg_vcpu *c, uint64_t lin, int sz)
{
	uint64_t gpa;
	int err;

	if (!translate(c, lin, ACC_W, c->cpl == 3, &gpa, &err, NULL))
		xlate_fault(c, lin, err);
	if (((lin + sz - 1) ^ lin) & ~0xfffull &&
	    !translate(c, lin + sz - 1, ACC_W, c->cpl == 3, &gpa, &err, NULL))
		xlate_fault(c, lin + sz - 1, err);
}

/*
 * Host pointer to @sz bytes of RAM at @lin for direct access (atomic
 * read-modify-write, string fast paths), or NULL when the operand crosses a
 * page or is not RAM; the caller then falls back to ordinary accesses.
 * Faults are raised as for the access itself.
 */
void *mem_host_ptr(struct tcg_vcpu *c, uint64_t lin, int sz, bool write)
{
	struct tlb_entry *e = tlb_of(c, lin);
	uint64_t pg = lin & ~0xfffull;

	if ((lin & 0xfff) > 0x1000u - sz)
		return NULL;
	if ((write ? e->tag_w : e->tag_r) != pg) {
		struct tlb_entry fill;
		struct mem_slot *s;
		uint64_t gpa;
		int err;

		if (!translate(c, lin, write ? ACC_W : ACC_R, c->cpl == 3, &gpa,
			       &err, &fill))
			xlate_fault(c, lin, err);
		s = find_slot(c->vm, gpa);
		if (!s || intc_claims(c, gpa) || gpa - s->gpa + sz > s->size)
			return NULL;
		tlb_fill(c, e, &fill, s, lin);
		if ((write ? e->tag_w : e->tag_r) != pg)
			return NULL;
	}
	if (write && (*e->gen & GEN_CODE))
		code_write(c, e->gen);
	return (void *)(uintptr_t)(lin + e->addend);
}
