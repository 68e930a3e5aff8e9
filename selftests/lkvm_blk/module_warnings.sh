#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lkvm.ko builds without a single warning at W=1 and under sparse (C=1),
# against the headers the in-guest tests use.  Rebuilds in place (-B): the
# result is the same module run_guest.sh loads.
here=$(dirname "$(readlink -f "$0")")
top=$(cd "$here/../.." && pwd)
kdir=${KDIR:-$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)}
echo "TAP version 13"
echo "1..1"
if [ ! -f "$kdir/Makefile" ]; then
	echo "ok 1 module_warnings # SKIP no kernel headers (KDIR)"
	exit 4
fi
if ! command -v sparse > /dev/null; then
	echo "ok 1 module_warnings # SKIP sparse is not installed"
	exit 4
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
make -B -C "$kdir" M="$top" W=1 C=1 modules > "$log" 2>&1
rc=$?
# sparse reports as "file:line:col: warning: ..." or "error: ..."
if [ $rc -eq 0 ] && ! grep -qE '(warning|error):' "$log"; then
	echo "ok 1 module_warnings"
	exit 0
fi
grep -E '(warning|error):' "$log" | head -n 20 | sed 's/^/# /'
echo "not ok 1 module_warnings # make exited $rc"
exit 1
