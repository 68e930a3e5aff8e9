#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The emulator's own core test (tools/tcg-fallback/tests): integer, SSE and
# x87 sequences run natively and emulated, self-modifying code (also in a
# loop hot enough to be compiled), host writes and INIT/SIPI; one TAP case
# per mode: the interpreter alone, the JIT as by default, and the JIT
# compiling every block before its first run.
here=$(dirname "$(readlink -f "$0")")
dir=$here/../../tools/tcg-fallback/tests
modes=(TCG_JIT=0 TCG_JIT=1 TCG_JIT_THRESHOLD=1)
failed=0
echo "TAP version 13"
echo "1..${#modes[@]}"
if ! out=$(make -s -C "$dir" all 2>&1); then
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	for n in "${!modes[@]}"; do
		echo "not ok $((n + 1)) tcg_core_test ${modes[n]} # build failed"
	done
	exit 1
fi
for n in "${!modes[@]}"; do
	out=$(cd "$dir" && env "${modes[n]}" ./tcg_core_test 2>&1)
	rc=$?
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -qx PASS; then
		echo "ok $((n + 1)) tcg_core_test ${modes[n]}"
	else
		echo "not ok $((n + 1)) tcg_core_test ${modes[n]} # exit $rc"
		failed=1
	fi
done
exit $failed
