#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The host's root as the guest's, on a real boot of the host's newest
# /boot/vmlinuz-* (Documentation/virtio-fs.rst).  Two boots:
#   1. lkvm run --share DIR,tag=t -- sh GUEST-SCRIPT, from the script's
#      directory and with fewer descriptors allowed than a directory it
#      walks has inodes: the walk matches the host's and host binaries
#      still run after it, the root is the host's, the command starts in
#      lkvm's working directory, the guest's writes stay in the guest, the
#      exit status comes back; in the guest, DIR mounted by tag t keeps "..",
#      an absolute and a relative symlink pointing outside of it inside it
#      (checked with chroot into it, where the host's files outside would
#      have other contents), and refuses writes;
#   2. with LKVM_MODULES_DIR naming a module tree without virtiofs: one
#      line names CONFIG_VIRTIO_FS, the command runs from the initramfs;
#      --share is refused before any boot.
# On --accel tcg by default (LKVM_BOOT_ACCEL).  Skips, saying why, while the
# accelerator cannot run a payload, or a boot does not end within
# LKVM_BOOT_TIMEOUT seconds (default 180).  LKVM= names another lkvm binary.
set -u
here=$(dirname "$(readlink -f "$0")")
lkvm=${LKVM:-$here/../../tools/lkvm/lkvm}
probe=$here/../../tools/lkvm/guest/exit42.elf
accel=${LKVM_BOOT_ACCEL:-tcg}
limit=${LKVM_BOOT_TIMEOUT:-180}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
release=${kernel#/boot/vmlinuz-}
tests=(many_inodes host_binary host_root working_directory exit_status
       writes_stay_in_guest share_dotdot
       share_absolute_symlink share_relative_symlink share_read_only
       missing_virtiofs_falls_back missing_virtiofs_refuses_share)
tmp=$(mktemp -d /tmp/lkvm_rootfs.XXXXXX)
out=$tmp/stdout err=$tmp/stderr
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
echo "1..${#tests[@]}"

n=0
result() {	# name, condition status
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fi
}

skip() {	# reason, names...
	local why=$1 t
	shift
	for t in "$@"; do
		n=$((n + 1))
		echo "ok $n $t # SKIP $why"
	done
}

[ -x "$lkvm" ] || { skip "lkvm is not built" "${tests[@]}"; exit 4; }
[ -n "$kernel" ] || { skip "no /boot/vmlinuz-*" "${tests[@]}"; exit 4; }
[ -r "$probe" ] || { skip "guest payloads are not built" "${tests[@]}"; exit 4; }
"$lkvm" run --accel "$accel" -k "$probe" -m 16 > /dev/null 2> "$err"
if [ $? -ne 42 ]; then
	skip "--accel $accel cannot run a payload: $(head -n 1 "$err")" "${tests[@]}"
	exit 4
fi

# Boots with "$@"; sets rc and secs.  Returns 1 if the guest never ended.
boot() {
	local start=$(date +%s%N)

	"${pre[@]}" timeout -k 5 -s INT "$limit" "$lkvm" run --accel "$accel" -k "$kernel" \
		"$@" > "$out" 2> "$err" < /dev/null
	rc=$?
	secs=$(awk "BEGIN { printf \"%.1f\", ($(date +%s%N) - $start) / 1e9 }")
	tr -d '\r' < "$out" > "$out.txt"
	sed 's/^/# stdout: /' "$out.txt" | tail -n 30
	sed 's/^/# stderr: /' "$err"
	if grep -q "stopped by signal 2" "$err"; then
		echo "# the guest did not end within ${limit}s on --accel $accel"
		return 1
	fi
	return 0
}

# What the guest printed as KEY=VALUE.
val() {
	sed -n "s/^$1=//p" "$out.txt" | head -n 1
}

# The share: a static busybox to chroot into it with, a file, and links
# that point outside.  What they name outside exists on the host with
# other contents, and, under the same names inside the share, with the
# contents the guest must see.
share=$tmp/share
mkdir -p "$share/bin" "$share/sub" "$share/outside" "$share$tmp/outside" \
	"$tmp/outside"
cp /bin/busybox "$share/bin/busybox"
echo shared > "$share/file"
echo OUTSIDE > "$tmp/outside/secret"
echo inside-abs > "$share$tmp/outside/secret"
echo inside-rel > "$share/outside/secret"
ln -s "$tmp/outside/secret" "$share/abs"
ln -s ../outside/secret "$share/rel"
ln -s ../../outside/secret "$share/sub/rel"

if [ -x /usr/bin/python3 ]; then
	hostbin="python3 -c 'print(1)'" want_hostbin=1
else
	# GNU ls, not busybox's: the host's.
	hostbin="ls --version" want_hostbin=$(ls --version | head -n 1)
fi
# A walk over more inodes than lkvm may hold descriptors (lkvm keeps 256
# for itself), before any other host binary runs.
walk=$(ls -d /usr/lib/python3* 2>/dev/null | head -n 1)
walk=${walk:-/usr/bin}
pre=()
command -v prlimit > /dev/null &&
	pre=(prlimit --nofile=$((256 + $(find "$walk" | wc -l))))
id=$$
cat > "$tmp/guest.sh" <<EOF
echo "du=\$(du -sk $walk | cut -f1)"
echo "hostbin=\$($hostbin | head -n 1)"
echo "os=\$(head -n 1 /etc/os-release)"
echo "cwd=\$(pwd)"
echo "initramfs_visible=\$(test -e /lkvm/cmd && echo yes || echo no)"
echo guest > $tmp/written && echo "wrote_tmp=\$(cat $tmp/written)"
echo guest > /etc/lkvm-rootfs-$id && echo "wrote_etc=\$(cat /etc/lkvm-rootfs-$id)"
mkdir -p /mnt/t && mount -t virtiofs t /mnt/t && echo mounted=yes
echo "file=\$(cat /mnt/t/file)"
echo "dotdot_mount=\$(stat -c %i /mnt/t/..) \$(stat -c %i /mnt)"
bb="chroot /mnt/t /bin/busybox"
echo "dotdot_root=\$(\$bb stat -c %i /..) \$(\$bb stat -c %i /)"
echo "dotdot_ls=\$(\$bb ls /.. | tr '\n' ' ')"
echo "abs=\$(\$bb cat /abs)"
echo "rel=\$(\$bb cat /rel)"
echo "subrel=\$(\$bb cat /sub/rel)"
echo "outside_by_dotdot=\$(cat /mnt/t/../outside/secret 2>&1)"
echo x > /mnt/t/new 2>/dev/null && echo share_write=yes || echo share_write=no
exit 3
EOF

cd "$tmp"
if boot --share "$share,tag=t" -- sh guest.sh; then
	echo "# boot with the host's root: $secs s"
	[ "$(val du)" = "$(du -sk "$walk" | cut -f1)" ] &&
		[ "$(val hostbin)" = "$want_hostbin" ] && [ ${#pre[@]} -gt 0 ]
	result many_inodes $?
	[ "$(val hostbin)" = "$want_hostbin" ]
	result host_binary $?
	[ "$(val os)" = "$(head -n 1 /etc/os-release)" ] &&
		[ "$(val initramfs_visible)" = no ]
	result host_root $?
	[ "$(val cwd)" = "$tmp" ]
	result working_directory $?
	[ $rc -eq 3 ]
	result exit_status $?
	[ "$(val wrote_tmp)" = guest ] && [ "$(val wrote_etc)" = guest ] &&
		[ ! -e "$tmp/written" ] && [ ! -e "/etc/lkvm-rootfs-$id" ]
	result writes_stay_in_guest $?
	set -- $(val dotdot_mount) $(val dotdot_root)
	[ "$(val mounted)" = yes ] && [ "$(val file)" = shared ] &&
		[ $# -eq 4 ] && [ "$1" = "$2" ] && [ "$3" = "$4" ] &&
		[ "$(val dotdot_ls)" = "$(ls "$share" | tr '\n' ' ')" ] &&
		! grep -q OUTSIDE "$out.txt"
	result share_dotdot $?
	[ "$(val abs)" = inside-abs ]
	result share_absolute_symlink $?
	[ "$(val rel)" = inside-rel ] && [ "$(val subrel)" = inside-rel ]
	result share_relative_symlink $?
	[ "$(val share_write)" = no ] && [ ! -e "$share/new" ]
	result share_read_only $?
else
	skip "the guest did not end within ${limit}s" "${tests[@]:0:10}"
fi
cd /
pre=()

# A module tree without virtiofs: the real one, less modules.dep's line.
mods=$tmp/modules
mkdir -p "$mods/$release"
ln -s "/lib/modules/$release/kernel" "$mods/$release/kernel"
cp "/lib/modules/$release/modules.builtin" "$mods/$release/"
grep -v '/virtiofs\.ko[^:]*:' "/lib/modules/$release/modules.dep" \
	> "$mods/$release/modules.dep"
export LKVM_MODULES_DIR=$mods

if boot -- sh -c 'test -e /lkvm/cmd && echo initramfs_root=yes'; then
	echo "# boot with lkvm's initramfs as the root: $secs s"
	[ $rc -eq 0 ] && [ "$(val initramfs_root)" = yes ] &&
		[ "$(grep -c 'lacks CONFIG_VIRTIO_FS.*initramfs' "$err")" -eq 1 ]
	result missing_virtiofs_falls_back $?
else
	skip "the guest did not end within ${limit}s" missing_virtiofs_falls_back
fi

# Refused before the machine exists: no boot, one line, a failure status.
"$lkvm" run --accel "$accel" -k "$kernel" --share "$share" -- true \
	> "$out" 2> "$err" < /dev/null
rc=$?
sed 's/^/# stderr: /' "$err"
[ $rc -ne 0 ] && [ "$(wc -l < "$err")" -eq 1 ] &&
	grep -q -- '--share.*CONFIG_VIRTIO_FS' "$err" && [ ! -s "$out" ]
result missing_virtiofs_refuses_share $?
