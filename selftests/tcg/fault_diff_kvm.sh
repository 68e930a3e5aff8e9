#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The exception differential test with KVM in place of the emulator: checks
# the bare VM's IDT, TSS and CPL 3 entry on their own.
exec ./fault_diff -b kvm
