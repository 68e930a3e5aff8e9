#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lkvm kselftest on Debian's kernel, on --accel tcg (LKVM_DEV_ACCEL):
#   - bad input: no kselftest tree, an unknown test, a non-Linux -k: status
#     2 or 125 and a message, no boot;
#   - --timeout before the tests start: 125;
#   - the kernel's "size" suite, built from linux-source-6.1 and installed by
#     its own "make install", plus two tests of our tcg_irq suite installed
#     beside it by scripts/ksft-install: status 0, their TAP on stdout
#     without the kernel's console, the tests' own output included (boot 1);
#   - a copy where size's test fails on purpose, through scripts/bisect-run
#     --kselftest: lkvm kselftest counts 1 failure, bisect-run says 1 (bad);
#     the failing test reads a file that --add-dir put in the guest (boot 2).
set -u
. "$(dirname "$0")/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out err=$work/err
ntests=10

tap_plan $ntests
[ -x "$lkvm" ] || tap_skip_all $ntests "lkvm is not built"
[ -n "$kernel" ] || tap_skip_all $ntests "no /boot/vmlinuz-* to boot"
linux_source || tap_skip_all $ntests "no /usr/src/linux-source-6.1.tar.*"
command -v rsync > /dev/null ||
	tap_skip_all $ntests "rsync missing (the kernel's kselftest install needs it)"

ksft() {	# lkvm kselftest ARGS...; sets rc
	"$lkvm" kselftest --accel "$accel" -k "$kernel" "$@" \
		> "$out" 2> "$err" < /dev/null
	rc=$?
	sed 's/^/# stderr: /' "$err"
}

# The kernel's install of the size suite, static by its own Makefile.
tree=$work/ksft
make -s -C "$ksrc/tools/testing/selftests" TARGETS=size \
	KHDR_INCLUDES="-isystem /usr/include" INSTALL_PATH="$tree" install \
	> "$work/build.log" 2>&1 &&
	"$top/scripts/ksft-install" "$tree" tcg_irq >> "$work/build.log" 2>&1 ||
	{ sed 's/^/# /' "$work/build.log"; tap_skip_all $ntests "cannot build the kselftests"; }

mkdir "$work/empty"
ksft "$work/empty"
[ $rc -eq 2 ] && grep -q "has no run_kselftest.sh" "$err"
tap_result not_a_kselftest_tree_is_usage_error $?

ksft -t size:no_such_test "$tree"
[ $rc -eq 2 ] && grep -q "size:no_such_test: not in" "$err"
tap_result unknown_test_is_usage_error $?

"$lkvm" kselftest -k "$top/tools/lkvm/guest/exit42.elf" "$tree" > "$out" 2> "$err"
rc=$?
[ $rc -eq 125 ] && grep -q "is not a Linux kernel" "$err"
tap_result payload_kernel_is_not_run $?

# A boot that cannot reach the tests in 2 s however fast the emulator gets:
# 100 ms after each of the kernel's hundreds of console messages.
ksft --timeout 2 -p "loglevel=7 boot_delay=100" "$tree"
[ $rc -eq 125 ] && grep -q "never started the tests (no end within --timeout 2 s)" "$err"
tap_result timeout_before_tests_is_not_run $?

ksft -c size -t tcg_irq:ioapic_test -t tcg_irq:apic_test "$tree"
sed 's/^/# stdout: /' "$out"
[ $rc -eq 0 ]
tap_result passing_suite_exits_0 $?
grep -qx "ok 1 selftests: size: get_size" "$out" &&
	grep -qx "ok 1 selftests: tcg_irq: ioapic_test" "$out" &&
	grep -qx "ok 2 selftests: tcg_irq: apic_test" "$out" &&
	grep -q "^lkvm: kselftest: 3 passed, 0 failed, 0 skipped$" "$err"
tap_result tap_results_reach_host $?
# The tests' own TAP, indented by the kernel's runner, comes along.
grep -qx "# ok 1 get runtime memory use" "$out" &&
	grep -qx "# ok 8 io.msi_decoding" "$out"
tap_result test_output_reaches_host $?
# stdout is the TAP alone: the boot log stays out of it.
[ "$(head -n 1 "$out")" = "TAP version 13" ] &&
	! grep -q "Linux version\|Command line:" "$out"
tap_result stdout_is_tap_only $?

# A copy in which size's test fails, saying why from a file that
# --add-dir puts into the guest.
cp -a "$tree" "$work/broken"
printf '#!/bin/sh\necho "not ok 1 $(cat /opt/extra/reason)"\nexit 1\n' \
	> "$work/broken/size/get_size"
mkdir "$work/extra"
echo "broken on purpose" > "$work/extra/reason"
"$top/scripts/bisect-run" --accel "$accel" -k "$kernel" \
	--add-dir "$work/extra:/opt/extra" \
	--kselftest "$work/broken" -c size -t tcg_irq:ioapic_test \
	> "$out" 2> "$err" < /dev/null
rc=$?
sed 's/^/# /' "$out" "$err"
[ $rc -eq 1 ] && grep -qx "not ok 1 selftests: size: get_size # exit=1" "$out" &&
	grep -q "^lkvm: kselftest: 1 passed, 1 failed, 0 skipped$" "$err"
tap_result failing_suite_exits_1_and_bisects_bad $?
grep -qx "# not ok 1 broken on purpose" "$out"
tap_result add_dir_reaches_guest $?
tap_exit
