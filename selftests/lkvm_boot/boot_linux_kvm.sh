#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# boot_linux.sh's boots again on --accel kvm, where KVM can run a Linux
# guest: not on a PVM host, whose KVM emulates ordinary guests instruction
# by instruction (~2 MIPS: a boot would take hours), nor without /dev/kvm.
here=$(dirname "$(readlink -f "$0")")
why=
if [ ! -w /dev/kvm ]; then
	why="no usable /dev/kvm"
elif [ -e /sys/module/kvm_pvm ]; then
	why="/dev/kvm is PVM, which emulates ordinary guests (~2 MIPS); the boots run on TCG"
fi
if [ -n "$why" ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP $why"
	exit 4
fi
LKVM_BOOT_ACCEL=kvm exec "$here/boot_linux.sh"
