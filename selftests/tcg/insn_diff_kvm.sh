#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The instruction differential test with KVM in place of the emulator: checks
# the harness itself (its masks and operand constraints) against a second
# implementation, so that an emulator failure means the emulator.
exec ./insn_diff -b kvm -k -n 16 "$@"
