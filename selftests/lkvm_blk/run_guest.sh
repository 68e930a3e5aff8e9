#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the lkvm_blk selftests in a guest kernel that can load lkvm.ko.
cd "$(dirname "$0")" || exit 1
top=../..
# lkvm_blk_vmm runs lkvm (static; not in sanitized builds) with
# lkvm_virtio's payload on the module.
set --
if [ -x ./lkvm-static ] && [ -r "$top/selftests/lkvm_virtio/virtio_guest.elf" ]; then
	set -- --file ./lkvm-static \
		--file "$top/selftests/lkvm_virtio/virtio_guest.elf" \
		--env LKVM_BIN=/files/lkvm-static \
		--env LKVM_PAYLOAD=/files/virtio_guest.elf
fi
# null_blk with timer completions keeps O_DIRECT requests in flight (20 ms).
exec "$top/scripts/guest-run" --module "$top/kernel/lkvm.ko" \
	--nullb "gb=1 memory_backed=1 irqmode=2 completion_nsec=20000000" \
	"$@" ${KDIR:+--kdir "$KDIR"} -- ./lkvm_blk_test ./lkvm_blk_vmm
