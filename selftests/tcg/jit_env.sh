#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad values of the JIT's environment variables: one "tcg:" line naming the
# value and what is used instead, and the guest runs as it would anyway
# (exit42.elf still exits 42 through lkvm on --accel tcg).
set -u
here=$(cd "$(dirname "$0")" && pwd)
lkvm=$here/../../tools/lkvm/lkvm
payload=$here/../../tools/lkvm/guest/exit42.elf
cases=("TCG_JIT=yes|TCG_JIT=yes: expected 0 or 1; the JIT stays on"
       "TCG_JIT_THRESHOLD=0|TCG_JIT_THRESHOLD=0: expected 1 to 1000000; using 16"
       "TCG_JIT_THRESHOLD=12x|TCG_JIT_THRESHOLD=12x: expected 1 to 1000000; using 16"
       "TCG_JIT_THRESHOLD=1000001|TCG_JIT_THRESHOLD=1000001: expected 1 to 1000000; using 16"
       "TCG_JIT_THRESHOLD=-5|TCG_JIT_THRESHOLD=-5: expected 1 to 1000000; using 16")
n=0 failed=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT

echo "TAP version 13"
echo "1..${#cases[@]}"
if [ ! -x "$lkvm" ] || [ ! -r "$payload" ]; then
	for c in "${cases[@]}"; do
		n=$((n + 1)); echo "ok $n ${c%%|*} # SKIP lkvm or its payloads are not built"
	done
	exit 4
fi
for c in "${cases[@]}"; do
	n=$((n + 1))
	env "${c%%|*}" "$lkvm" run --accel tcg -k "$payload" > /dev/null 2> "$err"
	rc=$?
	if [ $rc -eq 42 ] && [ "$(grep -c "^tcg: " "$err")" -eq 1 ] &&
	   grep -qxF "tcg: ${c#*|}" "$err"; then
		echo "ok $n ${c%%|*}"
	else
		sed 's/^/# stderr: /' "$err"
		echo "not ok $n ${c%%|*} # exit $rc"
		failed=1
	fi
done
exit $failed
