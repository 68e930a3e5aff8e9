#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# boot_net.sh with --network mode=user: the guest reaches the host's
# loopback through lkvm's user-mode NAT.
exec "$(dirname "$0")/boot_net.sh" user
