#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The emulator's own core test (tools/tcg-fallback/tests): integer, SSE and
# x87 sequences run natively and emulated, self-modifying code, host writes
# and INIT/SIPI, as one TAP case.
here=$(dirname "$(readlink -f "$0")")
dir=$here/../../tools/tcg-fallback/tests
echo "TAP version 13"
echo "1..1"
out=$(make -s -C "$dir" run 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -qx PASS; then
	echo "ok 1 tcg_core_test"
else
	echo "not ok 1 tcg_core_test # exit $rc"
	exit 1
fi
