#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/bisect-run's mapping of outcomes to git bisect's statuses:
#   - skip (125), without a boot: a failed build step, a usage error, lkvm
#     failing before the boot (-k names no file), and an lkvm tree whose
#     "make" fails;
#   - skip (125): --timeout before the guest reached the test (a short boot);
#   - good (0) and bad (1): "git bisect run" over a throwaway repository whose
#     third of four commits makes a guest's scratch tmpfs read-only; the
#     bisection must name that commit (two boots, on --accel tcg).
set -u
. "$(dirname "$0")/common.sh"
bisect=$top/scripts/bisect-run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ntests=7

tap_plan $ntests
[ -x "$lkvm" ] || tap_skip_all $ntests "lkvm is not built"
[ -n "$kernel" ] || tap_skip_all $ntests "no /boot/vmlinuz-* to boot"
command -v git > /dev/null || tap_skip_all $ntests "git is not installed"

step() {	# bisect-run ARGS...; sets rc, shows stderr
	(cd "$work" && "$bisect" --lkvm "$lkvm" --accel "$accel" "$@") \
		> "$work/out" 2> "$work/err" < /dev/null
	rc=$?
	sed 's/^/# /' "$work/err" | tail -n 5
}

step --build false -- true
[ $rc -eq 125 ] && grep -q "'false' failed to build (skip)" "$work/err"
tap_result build_failure_skips $?

step -k "$kernel" -- 
[ $rc -eq 125 ] && grep -q "give exactly one of" "$work/err"
tap_result usage_error_skips $?

step -k "$work/no-such-kernel" -- true
[ $rc -eq 125 ] && grep -q "never reached the test" "$work/err"
tap_result lkvm_error_skips $?

mkdir -p "$work/lkvm-tree/tools/lkvm"
printf 'all:\n\t@echo "this lkvm does not build" >&2; false\n' \
	> "$work/lkvm-tree/Makefile"
touch "$work/lkvm-tree/tools/lkvm/Makefile"
step --lkvm-tree "$work/lkvm-tree" -k "$kernel" -- true
[ $rc -eq 125 ] && grep -q "lkvm in .* failed to build (skip)" "$work/err"
tap_result lkvm_tree_build_failure_skips $?

# A guest that cannot reach the test in time, whatever the host's speed: an
# "lkvm" that only sleeps (a real boot now beats any small --timeout).
printf '#!/bin/sh\nexec sleep 60\n' > "$work/slow-lkvm"
chmod +x "$work/slow-lkvm"
step --lkvm "$work/slow-lkvm" --timeout 2 -k "$kernel" -- true
[ $rc -eq 125 ] && grep -q "no test within --timeout 2 s (skip)" "$work/err"
tap_result timeout_before_test_skips $?

# The throwaway repository: check.sh is the software and its test.
repo=$work/repo
mkdir "$repo"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
git() { command git -C "$repo" "$@" > /dev/null 2>&1; }
commit() {	# message, mount options of the scratch space
	cat > "$repo/check.sh" <<-EOS
	# Sets up the guest's scratch space...
	mkdir -p /tmp/work && mount -t tmpfs -o $2 scratch /tmp/work
	# ...which must be a tmpfs the guest can write.
	grep -q ' /tmp/work tmpfs ' /proc/mounts && echo ok > /tmp/work/probe
	EOS
	echo "$1" >> "$repo/HISTORY"
	git add -A && git commit -q -m "$1"
}
git init -q
commit "scratch space" size=1m
commit "a note" size=1m
commit "smaller scratch space" size=1m,ro
commit "another note" size=1m,ro
bad=$(command git -C "$repo" rev-parse HEAD~1)
git bisect start HEAD HEAD~3
(cd "$repo" && command git bisect run "$bisect" --lkvm "$lkvm" \
	--accel "$accel" -k "$kernel" --build 'sh -n check.sh' \
	--script check.sh) > "$work/bisect" 2>&1 < /dev/null
sed 's/^/# /' "$work/bisect" | grep -v '^# \[ *[0-9]'
steps=$(grep -c "the test exited with" "$work/bisect")
grep -q "^$bad is the first bad commit" "$work/bisect"
tap_result bisect_finds_the_breaking_commit $?
# One good and one bad step: both mappings were exercised.
grep -q "the test exited with 0$" "$work/bisect" &&
	grep -Eq "the test exited with [1-9][0-9]*$" "$work/bisect" &&
	[ "$steps" -eq 2 ]
tap_result bisect_saw_good_and_bad $?
tap_exit
