// SPDX-License-Identifier: GPL-2.0
/*
 * The split virtqueue walker (virtqueue.c) on guest memory the input fills:
 * ring addresses, sizes, indices, descriptors and chains are all the
 * guest's.  Each chain vq_pop() hands out is then read, written and turned
 * into iovecs at offsets the input picks, as device models do.
 *
 * Input: u16 queue size, u8 feature bits (EVENT_IDX, INDIRECT_DESC),
 * u64 descriptor/available/used ring addresses, u8 pops, then per pop
 * u32 offset and u32 length for the chain accessors; the rest is guest RAM.
 * Besides ASan, the harness checks vq_pop()'s promises: every buffer lies
 * in guest RAM, and an error leaves the queue broken.
 */
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_vm.h"
#include "virtio.h"

#define RAM_SIZE	(64 * KiB)
#define MAX_SIZE	256
#define MAX_IOV		8

static struct vm *vm;
static struct virtqueue vq;
static u8 scratch[RAM_SIZE + 1];
static u32 params[2 * 256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vm = fuzz_vm_create(RAM_SIZE);
	if (vq_init(&vq, MAX_SIZE))
		abort();
	return 0;
}

static void check_bufs(const struct vq_chain *c)
{
	const u8 *ram = vm->banks[0].hva;
	unsigned int i;

	for (i = 0; i < c->nr_out + c->nr_in; i++)
		if (c->bufs[i].hva < ram ||
		    c->bufs[i].len > RAM_SIZE ||
		    c->bufs[i].hva - ram > RAM_SIZE - c->bufs[i].len)
			abort();
}

/* What a device model does with a chain, at the offset the input picks. */
static u32 use_chain(const struct vq_chain *c, u32 off, u32 len)
{
	struct iovec iov[MAX_IOV];
	u64 got;

	len %= sizeof(scratch);
	check_bufs(c);
	got = vq_chain_read(c, off, scratch, len);
	if (got > len || got > c->out_len)
		abort();
	got = vq_chain_write(c, off, scratch, len);
	if (got > len || got > c->in_len)
		abort();
	vq_chain_iov(c, false, off, len, iov, MAX_IOV);
	vq_chain_iov(c, true, off, len, iov, MAX_IOV);
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct vq_chain chain;
	u64 features = 0;
	unsigned int i;
	u8 bits, pops;

	vq_reset(&vq);
	vq.size = fuzz_u16(&in);
	bits = fuzz_u8(&in);
	if (bits & 1)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (bits & 2)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	vq.desc_gpa = fuzz_u64(&in);
	vq.avail_gpa = fuzz_u64(&in);
	vq.used_gpa = fuzz_u64(&in);
	pops = fuzz_u8(&in);
	fuzz_take(&in, params, 2 * pops * sizeof(u32));
	fuzz_take(&in, vm->banks[0].hva, RAM_SIZE);
	if (vq_enable(&vq, vm, features))
		return 0;
	for (i = 0; i < pops; i++) {
		int ret = vq_pop(&vq, &chain);

		if (ret < 0 && !vq.broken)
			abort();	/* an error must break the queue */
		if (ret <= 0)
			break;
		vq_push(&vq, chain.head, use_chain(&chain, params[2 * i],
					       params[2 * i + 1]));
	}
	vq_need_interrupt(&vq);
	return 0;
}
