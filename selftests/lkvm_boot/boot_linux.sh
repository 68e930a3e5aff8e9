#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots the host's newest /boot/vmlinuz-* with lkvm run and lkvm's own
# initramfs, as a user would:
#   1. lkvm run -- uname -r        prints the kernel's release, exits 0
#   2. the kernel runs where it is linked: lkvm decompressed it (an LZ4 or
#      gzip payload), so there was no KASLR: _text in /proc/kallsyms and
#      "Kernel code" in /proc/iomem are the vmlinux's first PT_LOAD
#   3. on TCG, Linux finds nothing to mitigate but Spectre v1: the
#      emulated CPU does not speculate and says so (IA32_ARCH_CAPABILITIES,
#      eIBRS, BHI_CTRL), so no page-table isolation, retpolines or VERW
#   4. lkvm run --kaslr: the kernel decompresses itself, boots to the same
#      release, and has moved (virtually or physically: both would have to
#      land on the link address by chance for this to fail)
#   5. a copy whose LZ4 payload is garbled: one "lkvm:" line, non-zero exit
#   6. lkvm run -- sh -c 'exit 7'  exits 7
#   7. a kernel that panics        exits non-zero, panic shown, "guest reset"
#   8. -c 2 -d IMG: the guest sees two CPUs, and what it writes to /dev/vda
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
tests=(uname_r link_address cpu_not_vulnerable kaslr corrupt_payload exit_status panic smp2_disk)
out=$(mktemp) err=$(mktemp) img=$(mktemp) first=$(mktemp)
trap 'rm -f "$out" "$err" "$img" "$first"' EXIT

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

skip() {	# name, reason
	n=$((n + 1)); echo "ok $n $1 # SKIP $2"
}

placement='uname -r; grep -w _text /proc/kallsyms; grep "Kernel code" /proc/iomem
cd /sys/devices/system/cpu/vulnerabilities && grep . meltdown mds spectre_v2 itlb_multihit'
# Where the kernel runs: "VIRT PHYS" (_text, "Kernel code"), hex, no 0x.
strip0() { sed 's/^0x//; s/^0*//'; }
where() {
	local v p
	v=$(tr -d '\r' < "$1" | awk '$3 == "_text" { print $1 }')
	p=$(tr -d '\r' < "$1" | sed -n 's/^ *\([0-9a-f]*\)-.* : Kernel code$/\1/p')
	echo "$(echo "$v" | strip0) $(echo "$p" | strip0)"
}
# A bzImage's compressed payload: file offset, and its first 4 bytes.
payload_pos() {
	local sects off
	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$1")
	off=$(od -An -tu4 -j $((0x248)) -N4 "$1")
	[ "$sects" -eq 0 ] && sects=4
	echo $(((sects + 1) * 512 + off))
}
lz4_payload() {
	[ "$(od -An -tx1 -j "$(payload_pos "$1")" -N4 "$1" | tr -d ' ')" = 02214c18 ]
}
# Where it is linked: the first PT_LOAD of the vmlinux inside, as Debian's
# lz4 unpacks it and readelf reads it (Debian's System.map is a stub).
linked() {
	local tmp=$(mktemp) v p
	tail -c +$(($(payload_pos "$kernel") + 1)) "$kernel" | lz4 -dc > "$tmp" 2> /dev/null
	read -r v p < <(readelf -lW "$tmp" 2> /dev/null | awk '$1 == "LOAD" { print $3, $4; exit }')
	rm -f "$tmp"
	[ -n "$v" ] && echo "$(echo "$v" | strip0) $(echo "$p" | strip0)"
}
link=
lz4_payload "$kernel" && command -v lz4 > /dev/null && link=$(linked)

if boot -k "$kernel" -- sh -c "$placement"; then
	cp "$out" "$first"
	[ $rc -eq 0 ] && grep -qx "$release" <(tr -d '\r' < "$out")
	result uname_r $?
	if ! lz4_payload "$kernel"; then
		skip link_address "not an LZ4 payload: the kernel decompresses itself"
	elif [ -z "$link" ]; then
		skip link_address "cannot unpack the vmlinux (lz4, readelf)"
	else
		echo "# linked at: $link; runs at: $(where "$first")"
		[ "$(where "$first")" = "$link" ]
		result link_address $?
	fi
	if [ "$accel" != tcg ]; then
		skip cpu_not_vulnerable "--accel $accel reports the host's CPU"
	else
		v=$(tr -d '\r' < "$first")
		grep -qx "meltdown:Not affected" <<< "$v" &&
			grep -qx "mds:Not affected" <<< "$v" &&
			grep -qx "itlb_multihit:Not affected" <<< "$v" &&
			grep -q "^spectre_v2:.*Enhanced.*BHI: BHI_DIS_S" <<< "$v"
		result cpu_not_vulnerable $?
	fi
else
	skip uname_r "did not reach init within ${limit}s"
	skip link_address "did not reach init within ${limit}s"
	skip cpu_not_vulnerable "did not reach init within ${limit}s"
fi

if [ -z "$link" ]; then
	skip kaslr "cannot unpack the vmlinux (lz4, readelf)"
elif boot -k "$kernel" --kaslr -- sh -c "$placement"; then
	echo "# linked at: $link; runs at: $(where "$out")"
	[ $rc -eq 0 ] && grep -qx "$release" <(tr -d '\r' < "$out") &&
		[ "$(where "$out")" != "$link" ]
	result kaslr $?
else
	skip kaslr "did not reach init within ${limit}s"
fi

# 0xff over the start of the first LZ4 block: no boot, one line, exit 1.
if lz4_payload "$kernel"; then
	cp "$kernel" "$img"
	head -c 64 /dev/zero | tr '\0' '\377' |
		dd of="$img" bs=1 seek=$(($(payload_pos "$img") + 8)) conv=notrunc 2> /dev/null
	"$lkvm" run --accel "$accel" -k "$img" -- true > "$out" 2> "$err"
	rc=$?
	sed 's/^/# stderr: /' "$err"
	[ $rc -ne 0 ] && [ "$(wc -l < "$err")" -eq 1 ] &&
		grep -q "^lkvm: $img: corrupt LZ4 payload at file offset 0x[0-9a-f]*: " "$err"
	result corrupt_payload $?
	: > "$img"
else
	skip corrupt_payload "not an LZ4 payload"
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
