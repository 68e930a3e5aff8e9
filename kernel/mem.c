// SPDX-License-Identifier: GPL-2.0
/*
 * The memory table: guest-physical ranges mapped to ranges of the owner's
 * address space.  Every guest address the ring hands us goes through here,
 * so nothing outside the table is ever touched.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include "lkvm.h"

static int lkvm_region_cmp(const void *a, const void *b)
{
	const struct lkvm_blk_mem_region *ra = a, *rb = b;

	if (ra->guest_phys_addr < rb->guest_phys_addr)
		return -1;
	return ra->guest_phys_addr > rb->guest_phys_addr;
}

/* Last byte of a range, or false when the range is empty or wraps. */
static bool lkvm_range_last(u64 start, u64 size, u64 *last)
{
	if (!size || size - 1 > U64_MAX - start)
		return false;
	*last = start + size - 1;
	return true;
}

static int lkvm_region_check(const struct lkvm_blk_mem_region *r)
{
	u64 last;

	if (r->flags)
		return -EINVAL;
	if (!lkvm_range_last(r->guest_phys_addr, r->memory_size, &last))
		return -EINVAL;
	if (!lkvm_range_last(r->userspace_addr, r->memory_size, &last))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(r->userspace_addr), r->memory_size))
		return -EFAULT;
	return 0;
}

/* Copies a table in from user space; sorted, checked, never overlapping. */
struct lkvm_mem_table *lkvm_mem_table_from_user(const void __user *arg)
{
	const struct lkvm_blk_mem_table __user *utab = arg;
	struct lkvm_blk_mem_table hdr;
	struct lkvm_mem_table *mem;
	u32 i;
	int ret;

	if (copy_from_user(&hdr, utab, sizeof(hdr)))
		return ERR_PTR(-EFAULT);
	if (hdr.padding || hdr.nregions > LKVM_BLK_MAX_REGIONS)
		return ERR_PTR(-EINVAL);
	mem = kvzalloc(struct_size(mem, regions, hdr.nregions), GFP_KERNEL);
	if (!mem)
		return ERR_PTR(-ENOMEM);
	mem->nregions = hdr.nregions;
	if (copy_from_user(mem->regions, utab->regions,
			   flex_array_size(mem, regions, hdr.nregions))) {
		ret = -EFAULT;
		goto err;
	}
	for (i = 0; i < mem->nregions; i++) {
		ret = lkvm_region_check(&mem->regions[i]);
		if (ret)
			goto err;
	}
	sort(mem->regions, mem->nregions, sizeof(mem->regions[0]),
	     lkvm_region_cmp, NULL);
	for (i = 1; i < mem->nregions; i++) {
		const struct lkvm_blk_mem_region *prev = &mem->regions[i - 1];

		if (prev->guest_phys_addr + prev->memory_size >
		    mem->regions[i].guest_phys_addr) {
			ret = -EINVAL;
			goto err;
		}
	}
	return mem;
err:
	kvfree(mem);
	return ERR_PTR(ret);
}

static const struct lkvm_blk_mem_region *
lkvm_mem_find(const struct lkvm_mem_table *mem, u64 gpa)
{
	u32 lo = 0, hi = mem->nregions;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct lkvm_blk_mem_region *r = &mem->regions[mid];

		if (gpa < r->guest_phys_addr)
			hi = mid;
		else if (gpa - r->guest_phys_addr >= r->memory_size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* User address of [gpa, gpa + len) if it lies within one region. */
void __user *lkvm_mem_contig(const struct lkvm_mem_table *mem, u64 gpa,
			     u64 len)
{
	const struct lkvm_blk_mem_region *r;
	u64 off;

	if (!mem || !len)
		return NULL;
	r = lkvm_mem_find(mem, gpa);
	if (!r)
		return NULL;
	off = gpa - r->guest_phys_addr;
	if (len > r->memory_size - off)
		return NULL;
	return u64_to_user_ptr(r->userspace_addr + off);
}

/*
 * Splits [gpa, gpa + len) into user ranges, one per region crossed.
 * Returns the number of iovecs used, -EFAULT for a hole in the table,
 * -E2BIG when more than @max would be needed.
 */
int lkvm_mem_translate(const struct lkvm_mem_table *mem, u64 gpa, u64 len,
		       struct iovec *iov, unsigned int max)
{
	unsigned int n = 0;
	u64 last;

	/* A buffer that wraps around the guest address space is invalid. */
	if (!mem || !lkvm_range_last(gpa, len, &last))
		return -EFAULT;
	while (len) {
		const struct lkvm_blk_mem_region *r = lkvm_mem_find(mem, gpa);
		u64 off, chunk;

		if (!r)
			return -EFAULT;
		if (n == max)
			return -E2BIG;
		off = gpa - r->guest_phys_addr;
		chunk = min(len, r->memory_size - off);
		iov[n].iov_base = u64_to_user_ptr(r->userspace_addr + off);
		iov[n].iov_len = chunk;
		n++;
		gpa += chunk;
		len -= chunk;
	}
	return n;
}
