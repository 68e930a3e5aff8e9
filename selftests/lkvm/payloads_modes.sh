#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest payloads (TCG against KVM and the payloads' own checks) with the
# TCG's interpreter alone (TCG_JIT=0) and with every block compiled
# (TCG_JIT_THRESHOLD=1); the plain run of `payloads` uses the default.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../tcg/jit_modes.sh" "$here" payloads
