#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/guest-profile (the emulator's TCG_PROFILE block counts mapped to
# guest symbols), checked against the guests' own symbol tables:
#   1. the loop payload: the profile's hottest function is payload_main,
#      where nm says the payload's loops are (crc32() and friends are
#      static and inlined there), and the payload's exit status passes
#      through
#   2. every profiled block of the payload lies in a function nm knows
#   3. a TCG_PROFILE file that cannot be created: lkvm says so and the
#      payload still runs to its normal exit
#   4. usage errors, each one line and status 2, no boot: -n not a number,
#      --kaslr (the kernel would not be where its symbols say); a file that
#      is not a kernel: lkvm's own error, then status 1, no profile
#   5. Debian's kernel booting to `true` (two boots: the profile, then
#      /proc/kallsyms): over 100 M instructions, and each of the top 20
#      entries is a function of the guest's kallsyms
. "$(dirname "$0")/common.sh"
script=$top/scripts/guest-profile
payload=$top/tools/lkvm/guest/loop.elf
ntests=5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tap_plan $ntests
[ -x "$lkvm" ] || tap_skip_all $ntests "lkvm is not built"
[ -f "$payload" ] || tap_skip_all $ntests "the guest payloads are not built"

rc=0
"$script" -n 1000 -o "$work/prof" -- -k "$payload" > "$work/out" 2> "$work/err" || rc=$?
# The payload's own output comes first; the profile's lines have a "%".
hot=$(grep -m1 "%  " "$work/out" | awk '{print $4}')
[ $rc -eq 0 ] && [ "$hot" = payload_main ] && nm "$payload" | grep -q " T payload_main$"
tap_result loop_payload_hot_function $?

! grep -q "\[unknown\]" "$work/out" && [ "$(wc -l < "$work/prof")" -gt 3 ]
tap_result loop_payload_all_blocks_known $?

rc=0
TCG_PROFILE=/nonexistent/dir/prof "$lkvm" run --accel tcg -k "$payload" \
	> /dev/null 2> "$work/err" || rc=$?
[ $rc -eq 0 ] && grep -q "/nonexistent/dir/prof" "$work/err"
tap_result unwritable_profile_file $?

rc1=0 rc2=0 rc3=0
"$script" -n x -- -k "$payload" > "$work/out" 2> "$work/err1" || rc1=$?
"$script" -- -k "$payload" --kaslr > "$work/out" 2> "$work/err2" || rc2=$?
"$script" -- -k /etc/hostname > "$work/out" 2> "$work/err3" || rc3=$?
[ $rc1 -eq 2 ] && [ "$(cat "$work/err1")" = "$script: -n x: not a number" ] &&
	[ $rc2 -eq 2 ] && grep -q "^$script: --kaslr places the kernel at random" "$work/err2" &&
	[ "$(wc -l < "$work/err2")" -eq 1 ] &&
	[ $rc3 -eq 1 ] && grep -q "^lkvm: /etc/hostname: not a kernel" "$work/err3" &&
	grep -q "^$script: no profile written (lkvm exited 1)$" "$work/err3"
tap_result usage_errors $?

if [ -z "$kernel" ]; then
	echo "ok 5 linux_boot_profile # SKIP no /boot/vmlinuz-* to boot"
else
	rc=0
	"$script" -n 20 -- -k "$kernel" -- true > "$work/out" 2> "$work/err" || rc=$?
	total=$(grep "guest instructions profiled" "$work/out" | awk '{print int($1)}')
	[ $rc -eq 0 ] && [ "${total:-0}" -gt 100 ] && [ "$(grep -c "%  " "$work/out")" -eq 20 ] &&
		! grep -q "\[unknown\]" "$work/out"
	tap_result linux_boot_profile $?
fi
[ $tap_fail -eq 0 ] || { cat "$work/out" "$work/err" >&2; }
tap_exit
