#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/lkvm_guest.config against Linux 6.1 (Debian's linux-source-6.1):
# every line is a CONFIG_ assignment or a comment, every symbol is defined
# by some Kconfig file, and after "make olddefconfig" every value survives
# on x86_64_defconfig and on Debian's cloud kernel config (a value whose
# dependencies are unmet is silently dropped: the real failure mode).
# Two controls show that each check can fail: an undefined symbol, and a
# value whose dependency the control turns off.
set -u
. "$(dirname "$0")/common.sh"
fragment=$top/scripts/lkvm_guest.config
debian_config=$(ls /boot/config-* 2>/dev/null | sort -V | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tap_plan 6
linux_source || tap_skip_all 6 "no /usr/src/linux-source-6.1.tar.* (scripts/setup)"

# The symbols some Kconfig file defines.
grep -rhoE --include='Kconfig*' '^[[:space:]]*(menu)?config [A-Za-z0-9_]+' \
	"$ksrc" | awk '{print $2}' | sort -u > "$work/defined"

# The assignments of a fragment, one "CONFIG_X=v" or "CONFIG_X=n" a line.
assignments() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
	       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "$1"
}

# Prints the symbols of fragment $1 that no Kconfig file defines.
undefined() {
	assignments "$1" | sed 's/^CONFIG_\([^=]*\)=.*/\1/' | sort -u |
		comm -23 - "$work/defined"
}

# Merges fragment $2 into config $1 and runs olddefconfig; prints each
# assignment of $2 that the result does not keep.  One output directory
# for all, so that kconfig's programs are built once.
lost() {
	local out=$work/o a sym val
	mkdir -p "$out"
	cp "$1" "$work/base"
	(cd "$ksrc" && scripts/kconfig/merge_config.sh -m -O "$out" \
		"$work/base" "$2" > /dev/null &&
	 make -s O="$out" olddefconfig > "$work/log" 2>&1) || {
		echo "olddefconfig failed: $(tail -n 3 "$work/log")"
		return
	}
	assignments "$2" | while IFS= read -r a; do
		sym=${a%%=*} val=${a#*=}
		if [ "$val" = n ]; then
			grep -q "^$sym=" "$out/.config" && echo "$a"
		else
			grep -qx "$a" "$out/.config" || echo "$a"
		fi
	done
}

bad_lines=$(grep -vE '^(#.*|CONFIG_[A-Za-z0-9_]+=(y|m|n|[0-9]+|".*"))?$' "$fragment")
[ -z "$bad_lines" ] && [ "$(assignments "$fragment" | wc -l)" -gt 40 ]
tap_result "fragment_format${bad_lines:+ # bad lines: $bad_lines}" $?

missing=$(undefined "$fragment" | tr '\n' ' ')
[ -z "$missing" ]
tap_result "symbols_exist_in_6.1${missing:+ # undefined: $missing}" $?

printf 'CONFIG_VIRTIO_FS=y\nCONFIG_LKVM_NO_SUCH_SYMBOL=y\n' > "$work/control"
[ "$(undefined "$work/control")" = LKVM_NO_SUCH_SYMBOL ]
tap_result control_undefined_symbol_is_caught $?

(cd "$ksrc" && make -s O="$work/o" x86_64_defconfig > /dev/null 2>&1)
cp "$work/o/.config" "$work/defconfig"
dropped=$(lost "$work/defconfig" "$fragment" | tr '\n' ' ')
[ -z "$dropped" ] && [ -s "$work/defconfig" ]
tap_result "survives_olddefconfig_on_x86_64_defconfig${dropped:+ # dropped: $dropped}" $?

if [ -r "$debian_config" ]; then
	dropped=$(lost "$debian_config" "$fragment" | tr '\n' ' ')
	[ -z "$dropped" ]
	tap_result "survives_olddefconfig_on_$(basename "$debian_config")${dropped:+ # dropped: $dropped}" $?
else
	tap_n=$((tap_n + 1))
	echo "ok $tap_n debian_config # SKIP no /boot/config-*"
fi

# VIRTIO_FS depends on FUSE_FS: with FUSE_FS off it cannot stay y.
printf '# CONFIG_FUSE_FS is not set\nCONFIG_VIRTIO_FS=y\n' > "$work/control"
[ "$(lost "$work/defconfig" "$work/control")" = CONFIG_VIRTIO_FS=y ]
tap_result control_unmet_dependency_is_caught $?
tap_exit
