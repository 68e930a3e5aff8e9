#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots the host's newest /boot/vmlinuz-* with lkvm run and lkvm's own
# initramfs, as a user would:
#   1. lkvm run -- uname -r        prints the kernel's release, exits 0
#   2. lkvm run -- sh -c 'exit 7'  exits 7
#   3. a kernel that panics        exits non-zero, panic shown, "guest reset"
#   4. -c 2 -d IMG: the guest sees two CPUs, and what it writes to /dev/vda
#      is in IMG on the host after lkvm exits
# On --accel tcg (LKVM_BOOT_ACCEL, default tcg) by default: the boot must not
# depend on the host having KVM.  Skips, saying why, while the accelerator
# cannot run even a payload, or while a boot does not reach init within
# LKVM_BOOT_TIMEOUT seconds (default 120).  LKVM= names another lkvm binary.
set -u
here=$(dirname "$(readlink -f "$0")")
lkvm=${LKVM:-$here/../../tools/lkvm/lkvm}
probe=$here/../../tools/lkvm/guest/exit42.elf
accel=${LKVM_BOOT_ACCEL:-tcg}
limit=${LKVM_BOOT_TIMEOUT:-120}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
release=${kernel#/boot/vmlinuz-}
tests=(uname_r exit_status panic smp2_disk)
out=$(mktemp) err=$(mktemp) img=$(mktemp)
trap 'rm -f "$out" "$err" "$img"' EXIT

echo "TAP version 13"
echo "1..${#tests[@]}"

skip_all() {
	local i
	for i in "${!tests[@]}"; do
		echo "ok $((i + 1)) ${tests[$i]} # SKIP $1"
	done
	exit 4
}

[ -x "$lkvm" ] || skip_all "lkvm is not built"
[ -n "$kernel" ] || skip_all "no /boot/vmlinuz-* to boot"
[ -r "$probe" ] || skip_all "guest payloads are not built"
"$lkvm" run --accel "$accel" -k "$probe" -m 16 > /dev/null 2> "$err"
if [ $? -ne 42 ]; then
	skip_all "--accel $accel cannot run a payload yet: $(head -n 1 "$err")"
fi

# Boots with "$@"; sets rc.  Returns 1 (skip) if init was never reached.
boot() {
	timeout -k 5 -s INT "$limit" "$lkvm" run --accel "$accel" "$@" \
		> "$out" 2> "$err" < /dev/null
	rc=$?
	if grep -q "stopped by signal 2" "$err"; then
		echo "# boot did not reach init within ${limit}s on --accel $accel; last console line:"
		echo "#   $(tail -n 1 "$out")"
		return 1
	fi
	sed 's/^/# stdout: /' "$out" | tail -n 20
	sed 's/^/# stderr: /' "$err"
	return 0
}

n=0
result() {	# name, condition status
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fi
}

if boot -k "$kernel" -- uname -r; then
	[ $rc -eq 0 ] && grep -qx "$release" <(tr -d '\r' < "$out")
	result uname_r $?
else
	n=$((n + 1)); echo "ok $n uname_r # SKIP did not reach init within ${limit}s"
fi

if boot -k "$kernel" -- sh -c 'exit 7'; then
	[ $rc -eq 7 ]
	result exit_status $?
else
	n=$((n + 1)); echo "ok $n exit_status # SKIP did not reach init within ${limit}s"
fi

# No init and no root: the kernel panics; panic=-1 resets through the i8042.
if boot -k "$kernel" -p "rdinit=/nonexistent root=/dev/nonexistent" -- true; then
	[ $rc -ne 0 ] && grep -q "Kernel panic" "$out" && grep -q "guest reset" "$err"
	result panic $?
else
	n=$((n + 1)); echo "ok $n panic # SKIP the kernel did not panic within ${limit}s"
fi

# Two vCPUs (INIT/SIPI on TCG) and a disk written by the guest, read here.
pattern="lkvm-disk-$$-$RANDOM"
truncate -s 4M "$img"
if boot -k "$kernel" -c 2 -d "$img" -- sh -c \
	"grep -c ^processor /proc/cpuinfo; printf $pattern | dd of=/dev/vda bs=512 conv=sync,fsync 2>/dev/null"; then
	[ $rc -eq 0 ] && grep -qx 2 <(tr -d '\r' < "$out") &&
		[ "$(head -c ${#pattern} "$img")" = "$pattern" ]
	result smp2_disk $?
else
	n=$((n + 1)); echo "ok $n smp2_disk # SKIP did not reach init within ${limit}s"
fi
