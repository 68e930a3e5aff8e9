#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots the host's newest /boot/vmlinuz-* with --network mode=MODE, tap
# (the default) or user (the first argument), in a private network
# namespace (unshare -n).  The host's end is 192.168.33.1: the tap lkvm
# creates there, or user mode's gateway, which leads to the namespace's
# loopback.  net_peer.py's servers listen behind it:
#   1. ping     the guest pings the host (ICMP, busybox ping)
#   2. udp      the guest resolves a name at the host's DNS responder
#               (busybox nslookup: UDP both ways)
#   3. tcp      the guest fetches a page from the host's HTTP server
#               (busybox wget: TCP both ways)
#   4. cleanup  lkvm ends with the guest and its tap is gone
# One boot, on --accel tcg (LKVM_BOOT_ACCEL) by default.  Needs root.
# Skips, saying why, while the guest cannot boot on this tree within
# LKVM_NET_TIMEOUT seconds (default 45) or has no virtio_net driver.
# LKVM= names another lkvm binary.
set -u
here=$(dirname "$(readlink -f "$0")")
lkvm=${LKVM:-$here/../../tools/lkvm/lkvm}
accel=${LKVM_BOOT_ACCEL:-tcg}
limit=${LKVM_NET_TIMEOUT:-45}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
tests=(ping udp tcp cleanup)
mode=${1:-tap}
case $mode in
tap) net="mode=tap,host_ip=192.168.33.1/24" ;;
user) net="mode=user" ;;
*) echo "usage: $0 [tap|user]" >&2; exit 2 ;;
esac

if [ "${2:-}" != --in-netns ]; then
	echo "TAP version 13"
	echo "1..${#tests[@]}"
fi

skip_all() {
	local i
	for i in "${!tests[@]}"; do
		echo "ok $((i + 1)) ${tests[$i]} # SKIP $1"
	done
	exit 4
}

if [ "${2:-}" != --in-netns ]; then
	[ "$(id -u)" -eq 0 ] || skip_all "needs root for a tap in a private network namespace"
	[ -x "$lkvm" ] || skip_all "lkvm is not built"
	[ -n "$kernel" ] || skip_all "no /boot/vmlinuz-* to boot"
	command -v python3 > /dev/null || skip_all "no python3 for the host's servers"
	unshare -n true 2> /dev/null || skip_all "cannot unshare -n"
	exec unshare -n "$0" "$mode" --in-netns
fi

out=$(mktemp) err=$(mktemp) peer_log=$(mktemp)
peer=
trap '[ -n "$peer" ] && kill $peer; rm -f "$out" "$err" "$peer_log"' EXIT

ip link set lo up
python3 "$here/net_peer.py" > "$peer_log" 2>&1 &
peer=$!
for i in $(seq 50); do
	grep -q ready "$peer_log" && break
	sleep 0.1
done
grep -q ready "$peer_log" || skip_all "net_peer.py did not start: $(head -n 1 "$peer_log")"

# The guest configures eth0 itself: it must not depend on /init applying ip=.
# The guest may run in the host's root, which need not have these applets:
# busybox (installed by scripts/setup) is named explicitly.
# (No wget -T: Debian busybox 1.35's wget crashes with it, on the host too.)
guest='echo "lkvm-net: start"
[ -e /sys/class/net/eth0 ] || { echo "lkvm-net: no eth0"; exit 99; }
ip link set eth0 up
ip addr add 192.168.33.15/24 dev eth0
busybox ping -c 1 -W 5 192.168.33.1 > /dev/null && echo "lkvm-net: ping ok"
busybox nslookup lkvm-net.test 192.168.33.1
busybox wget -q -O - http://192.168.33.1:8080/lkvm
echo "lkvm-net: end"'

start=$(date +%s)
timeout -k 5 -s INT "$limit" "$lkvm" run --accel "$accel" -k "$kernel" \
	--network "$net" -- sh -c "$guest" \
	> "$out" 2> "$err" < /dev/null
rc=$?
echo "# lkvm exited with $rc after $(($(date +%s) - start)) s"
sed 's/^/# stdout: /' "$out" | grep -v '^# stdout: \[' | tail -n 20
sed 's/^/# stderr: /' "$err"
sed 's/^/# peer: /' "$peer_log"

grep -q "lkvm-net: start" "$out" ||
	skip_all "the guest did not reach its command within ${limit}s on --accel $accel"
grep -q "lkvm-net: no eth0" "$out" &&
	skip_all "the guest has no eth0: its initramfs lacks virtio_net"

n=0
result() {	# name, condition status
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fi
}

grep -q "lkvm-net: ping ok" "$out"
result ping $?
# The servers see the guest's address, or with user mode the NAT's.
[ "$mode" = tap ] && peer_ip=192.168.33.15 || peer_ip=127.0.0.1
grep -q "10.33.33.33" "$out" && grep -q "dns lkvm-net.test from $peer_ip" "$peer_log"
result udp $?
grep -q "lkvm-net-tcp-ok" "$out" && grep -q "http /lkvm from $peer_ip" "$peer_log"
result tcp $?
grep -q "lkvm-net: end" "$out" && ! grep -q "stopped by signal" "$err" &&
	! ip link show lkvm0 > /dev/null 2>&1 && ! grep -qi "virtio-net" "$err"
result cleanup $?
exit 0
