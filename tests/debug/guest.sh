#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/debug/guest.sh: the guest side of `make check-debug` and
# `make check-kcsan` (run by tests/debug/check inside the debug VM, from
# the repository root).
#
#   tests/debug/guest.sh suite         the integration suite, then
#                                      tests/guest.d/*, then a kmemleak scan
#   tests/debug/guest.sh plant BUG     load the planted-bug module, commit
#                                      BUG (kmod/cmap_plant.c)
#
# Environment: CMAP_KO (the cmap.ko built against this kernel: every suite
# loads it), CMAP_TESTS (a regular expression: only the matching suites, as in
# tests/run-all), CMAP_VM_OUT (writable: the kernel log goes to dmesg.txt,
# kmemleak's report to kmemleak.txt).
# Exit status: the suite's, or 0 if the planted bug was committed.  The
# host (tests/debug/check) judges the kernel log.

set -u
PATH=$PATH:/usr/sbin:/sbin
out=${CMAP_VM_OUT:?CMAP_VM_OUT is not set}
ko=${CMAP_KO:?CMAP_KO is not set}
kml=/sys/kernel/debug/kmemleak

say() { echo "# debug: $*"; }

lockdep_on() {
	[ -r /proc/lockdep_stats ] || return 0
	grep -Eq '^ *debug_locks: *1' /proc/lockdep_stats
}

# kmemleak ignores objects younger than 5 s, and reports an object only
# when a scan finds it unreferenced AND unchanged since the previous scan
# (a new object's first scan just records its checksum): two scans.  One
# takes ~12 s under TCG.
kmemleak_scan() {
	[ -w "$kml" ] || { say "no kmemleak"; return 0; }
	sleep 6
	local t0=$SECONDS
	echo scan >"$kml" || say "kmemleak scan failed"
	echo scan >"$kml" || say "kmemleak scan failed"
	cat "$kml" >"$out/kmemleak.txt" 2>&1
	say "kmemleak scans: $((SECONDS - t0)) s, $(grep -c '^unreferenced object' "$out/kmemleak.txt") suspected leak(s)"
}

save_log() {
	dmesg >"$out/dmesg.txt" 2>&1
	if [ -n "${kmsg_pid:-}" ]; then
		sleep 1
		kill "$kmsg_pid" 2>/dev/null
	fi
	cat /proc/lockdep_stats >"$out/lockdep_stats.txt" 2>/dev/null
}

say "kernel $(uname -r); KO=$ko"
# The whole kernel log, from boot on, as it comes: suites that clear the
# ring buffer (dmesg -c) or lower the console level cannot hide a report.
if [ -r /dev/kmsg ]; then
	cat /dev/kmsg >"$out/kmsg.txt" 2>/dev/null &
	kmsg_pid=$!
fi
if ! lockdep_on; then
	say "lockdep is already off after boot (a report during boot?)"
	save_log
	exit 1
fi

case ${1:-} in
suite)
	# Forget what boot left unreferenced: only leaks from here on count.
	[ -w "$kml" ] && echo clear >"$kml"
	rc=0
	# The steps of `make check`'s guest side, each timed; CMAP_TESTS (an
	# extended regular expression, as in tests/run-all) picks some.
	steps=(tests/integration/run.sh)
	for g in tests/guest.d/*; do
		[ -f "$g" ] && [ -x "$g" ] && steps+=("$g")
	done
	for g in "${steps[@]}"; do
		[[ $g =~ ${CMAP_TESTS:-.} ]] || { say "skipped $g (CMAP_TESTS)"; continue; }
		say "--- $g"
		ts=$SECONDS
		grc=0
		"$g" || grc=$?
		say "$g: exit $grc after $((SECONDS - ts)) s"
		[ "$grc" = 0 ] || rc=1
		if grep -q '^cmap ' /proc/modules; then
			say "$g left cmap loaded: rmmod"
			rmmod cmap
		fi
	done
	kmemleak_scan
	lockdep_on || say "lockdep switched itself off during the run"
	save_log
	exit "$rc"
	;;
plant)
	bug=${2:?which bug?}
	[ -w "$kml" ] && echo clear >"$kml"
	insmod "$ko" || { save_log; exit 1; }
	say "plant_bug offers: $(cat /sys/module/cmap/parameters/plant_bug)"
	# A separate process: no stale pointer on a live stack for kmemleak.
	sh -c "echo $bug >/sys/module/cmap/parameters/plant_bug"
	rc=$?
	say "planted $bug: exit $rc"
	[ "$bug" = leak ] && kmemleak_scan
	save_log
	exit "$rc"
	;;
*)
	echo "usage: $0 suite | plant BUG" >&2
	exit 2
	;;
esac
