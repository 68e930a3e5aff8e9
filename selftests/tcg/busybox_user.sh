#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# busybox-static under tcg-user must print byte for byte what busybox prints
# natively, for the same input on stdin and in files.
# Usage: busybox_user.sh [tcg|kvm]   (default tcg)
set -u
backend=${1:-tcg}
here=$(cd "$(dirname "$0")" && pwd)
runner=$here/../../tools/tcg-fallback/runner/tcg-user
bb=${BUSYBOX:-/bin/busybox}
n=0 failed=0

echo "TAP version 13"
if [ ! -x "$runner" ]; then
	echo "1..0 # SKIP $runner not built"
	exit 4
fi
if [ ! -x "$bb" ] || readelf -l "$bb" 2>/dev/null | grep -q INTERP; then
	echo "1..0 # SKIP no static busybox at $bb (Debian: busybox-static)"
	exit 4
fi
if ! why=$("$runner" -b "$backend" -C); then
	echo "1..0 # SKIP $why"
	exit 4
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# Inputs: random bytes, text lines with numbers, words and blanks.
head -c 300000 /dev/urandom > random.bin
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++)
	printf "%d %s line%d\t%x\n", int(rand() * 100000) - 50000,
	substr("alpha beta gamma delta epsilon", 1 + int(rand() * 20), 5),
	i, int(rand() * 65536) }' > lines.txt
cat lines.txt lines.txt random.bin > mixed.bin

echo "1..10"

# check NAME CMD...: runs "CMD" (a shell string using $BB for busybox)
# natively and under tcg-user, stdin from lines.txt, and compares stdout
# and the exit status.
check() {
	local name=$1 cmd=$2 rn re
	n=$((n + 1))
	BB="$bb" sh -c "$cmd" < lines.txt > native.out 2> native.err
	rn=$?
	BB="$runner -b $backend $bb" sh -c "$cmd" < lines.txt > emu.out 2> emu.err
	re=$?
	# An empty reference would make the comparison vacuous.
	if [ $rn -eq 0 ] && [ -s native.out ] && [ $rn -eq $re ] &&
	   cmp -s native.out emu.out; then
		echo "ok $n $name"
		return
	fi
	failed=$((failed + 1))
	printf '%s\n' "$cmd" | sed 's/^/# command: /'
	echo "# exit status: native $rn, $backend $re"
	echo "# stdout: native $(wc -c < native.out) bytes, $backend $(wc -c < emu.out) bytes; first difference:"
	cmp native.out emu.out 2>&1 | head -1 | sed 's/^/#   /'
	sed 's/^/# stderr: /' emu.err | head -5
	echo "not ok $n $name"
}

check "echo" '$BB echo hello "two  words" -- "$HOME" ""'
check "sha256sum of a file" '$BB sha256sum random.bin lines.txt'
check "sha256sum of stdin" '$BB sha256sum'
check "gzip -c (compressed bytes)" '$BB gzip -c mixed.bin'
check "gzip -c | gzip -dc" '$BB gzip -c mixed.bin | $BB gzip -dc'
check "gzip -9 from stdin | gzip -dc" '$BB gzip -9 | $BB gzip -dc'
check "sort" '$BB sort lines.txt'
check "sort -n -r -u from stdin" '$BB sort -n -r -u'
check "sort -k3 -t' '" "\$BB sort -t' ' -k3,3 -k1,1n lines.txt"
check "awk" '$BB awk '\''{ sum += $1; cnt[$2]++; if (length($3) > m) m = length($3) }
	END { printf "%d %.4f %d\n", sum, sum / NR, m;
	      for (w in cnt) n++; print n; print toupper(substr($0, 2, 8)), sprintf("%08x", 3054) }'\'' lines.txt'

echo "# busybox under tcg-user ($backend): $((n - failed)) of $n passed"
[ $failed -eq 0 ]
