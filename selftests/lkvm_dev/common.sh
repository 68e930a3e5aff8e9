# SPDX-License-Identifier: GPL-2.0
# Shared by the lkvm_dev tests: paths, TAP output, Linux 6.1 sources.
top=$(cd "$(dirname "$0")/../.." && pwd)
lkvm=${LKVM:-$top/tools/lkvm/lkvm}
accel=${LKVM_DEV_ACCEL:-tcg}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
# The parts of Debian's linux-source-6.1 the tests need, extracted once.
ksrc=$top/build/linux-6.1
tap_n=0
tap_fail=0

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

# name, then a status: 0 is a pass.
tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $tap_n $1"
	else
		echo "not ok $tap_n $1"
		tap_fail=1
	fi
}

tap_skip_all() {	# count, reason
	local i
	for i in $(seq "$1"); do
		echo "ok $i # SKIP $2"
	done
	exit 4
}

tap_exit() {
	exit $tap_fail
}

# Extracts the Kconfig tree, kconfig's build files and the kselftest
# framework with the size suite into $ksrc; returns 1 without the tarball.
linux_source() {
	local tarball
	[ -f "$ksrc/.extracted" ] && return 0
	tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || return 1
	mkdir -p "$ksrc"
	tar -xf "$tarball" -C "$ksrc" --strip-components=1 --wildcards \
		'linux-source-6.1/Makefile' 'linux-source-6.1/scripts/*' \
		'linux-source-6.1/arch/x86/configs/*' \
		'linux-source-6.1/arch/x86/Makefile*' '*/Kconfig*' \
		'linux-source-6.1/tools/testing/selftests/Makefile' \
		'linux-source-6.1/tools/testing/selftests/lib.mk' \
		'linux-source-6.1/tools/testing/selftests/run_kselftest.sh' \
		'linux-source-6.1/tools/testing/selftests/kselftest*' \
		'linux-source-6.1/tools/testing/selftests/size/*' || return 1
	touch "$ksrc/.extracted"
}
