#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The differential tests in the TCG's two other modes; their plain runs use
# the default (JIT on, a block compiled after 16 runs).  TCG_JIT=0 is the
# interpreter alone, the reference.  TCG_JIT_THRESHOLD=1 compiles every block
# before its first run: insn_diff and fault_diff run each instruction once,
# so only this mode puts their forms through the JIT.
#   jit_modes.sh [DIR PROG...]   other tests the same way (selftests/lkvm)
set -u
here=$(cd "$(dirname "$0")" && pwd)
modes=(TCG_JIT=0 TCG_JIT_THRESHOLD=1)
progs=(insn_diff fault_diff busybox_user.sh)
if [ $# -ge 2 ]; then
	here=$(cd "$1" && pwd)
	shift
	progs=("$@")
fi
n=0 failed=0

echo "TAP version 13"
echo "1..$((${#modes[@]} * ${#progs[@]}))"
for m in "${modes[@]}"; do
	for p in "${progs[@]}"; do
		n=$((n + 1))
		out=$(cd "$here" && env "$m" "./$p" 2>&1)
		rc=$?
		printf '%s\n' "$out" | grep -E '^# (Totals|busybox)' | sed "s/^# /# $m $p: /"
		case $rc in
		0) echo "ok $n $p with $m" ;;
		4) echo "ok $n $p with $m # SKIP $(printf '%s\n' "$out" | grep -m1 SKIP)" ;;
		*)
			printf '%s\n' "$out" | grep -E '^not ok' | head -n 20 | sed 's/^/# /'
			echo "not ok $n $p with $m # exit $rc"
			failed=1
			;;
		esac
	done
done
exit $failed
