#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The busybox comparison with KVM in place of the emulator: checks tcg-user's
# loader and system call layer on their own.
exec ./busybox_user.sh kvm
