#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/integration/run.sh [--native]: the integration test driver.
#
# Runs as root from anywhere (it works from the repository root), inside the
# test VM (tests/vm/run -- tests/integration/run.sh) or, with --native, on a
# machine that loads modules.  It loads kmod/cmap.ko, runs the cmocka test
# binaries (built by `make -C tests`) with TAP output, checks that the module
# cannot be unloaded while /dev/cmap is open, that it unloads cleanly with
# tables still defined, and that the kernel log stayed clean.  Every check
# prints a TAP line "ok N - ..." / "not ok N - ..."; the cmocka binaries
# print their own, numbered per binary.  The module is left unloaded.
# Exit status: 0 if every check passed, 1 otherwise.
#
# The repository may be read-only (it is in the VM): scratch files go to
# $TMPDIR or /tmp.  Environment: CMAP_KO (the module to load, default
# kmod/cmap.ko; `make check KERNEL=rt` and the debug runs set it),
# CMAP_TEST_TIMEOUT (seconds per test binary, default 900);
# CMOCKA_MESSAGE_OUTPUT is forced to TAP.

set -u

native=0
for a in "$@"; do
	case $a in
	--native) native=1 ;;
	-h|--help) sed -n '3,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/../.." && pwd -P) || exit 2
cd "$top" || exit 2
bindir=$top/tests/integration
ko=${CMAP_KO:-$top/kmod/cmap.ko}
helper=$bindir/cmap_helper
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cmap-it.XXXXXX") || exit 2
timeout_s=${CMAP_TEST_TIMEOUT:-900}
export CMOCKA_MESSAGE_OUTPUT=TAP
PATH=$PATH:/usr/sbin:/sbin
export PATH

. tests/lib/tap.sh
# the cmocka binaries' own results (ours: tap_n, tap_failed)
cm_passed=0
cm_failed=0
skipped=0

loaded() { grep -q '^cmap ' /proc/modules; }

finish() {
	if loaded; then
		rmmod cmap 2>/dev/null
		loaded && echo "# warning: cmap is still loaded"
	fi
	rm -rf "$tmp"
	echo "# integration: $((tap_n - tap_failed + cm_passed)) ok," \
		"$((tap_failed + cm_failed)) not ok, $skipped skipped (cmocka tests included)"
	[ "$((tap_failed + cm_failed))" = 0 ]
	exit $?
}

# Waits up to $1 tenths of a second for the shell condition $2.
wait_for() {
	i=0
	while [ "$i" -lt "$1" ]; do
		eval "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	eval "$2"
}

echo "# cmap integration tests ($( [ $native = 1 ] && echo native || echo "VM ${CMAP_VM:-?}"), kernel $(uname -r))"

# ------------------------------------------------------------ preconditions
if [ "$(id -u)" != 0 ]; then
	notok "running as root"
	finish
fi
if [ ! -f "$ko" ]; then
	notok "$ko exists (make module)"
	finish
fi
bins=""
for b in test_ops test_concurrency test_stress cmap_helper; do
	if [ -x "$bindir/$b" ]; then
		bins="$bins $b"
	else
		notok "tests/integration/$b is built (make -C tests)"
	fi
done

# A stale module (a native machine): unload it first.
if loaded; then
	rmmod cmap 2>"$tmp/err"
	check "a cmap module loaded before the run could be removed" \
		sh -c '! grep -q "^cmap " /proc/modules'
	loaded && finish
fi

# Kernel log from here on: after a marker line.
marker="cmap-integration-$$-$(date +%s)"
echo "<6>$marker start" >/dev/kmsg 2>/dev/null || echo "# cannot write /dev/kmsg"

# ---------------------------------------------------------------- load
if insmod "$ko" 2>"$tmp/err"; then
	ok "insmod $ko"
else
	diag <"$tmp/err"
	notok "insmod $ko"
	finish
fi
wait_for 50 '[ -c /dev/cmap ]'
check "/dev/cmap is a character device" test -c /dev/cmap
mode=$(stat -c %a /dev/cmap 2>/dev/null)
check "/dev/cmap has mode 0600 (got ${mode:-none})" test "$mode" = 600
owner=$(stat -c %u:%g /dev/cmap 2>/dev/null)
check "/dev/cmap is owned by root:root (got ${owner:-none})" \
	test "$owner" = 0:0

# ------------------------------------------------------ the cmocka binaries
for b in test_ops test_concurrency test_stress; do
	case " $bins " in *" $b "*) ;; *) continue ;; esac
	echo "# --- $b"
	start=$(date +%s)
	{
		timeout "$timeout_s" "$bindir/$b" 2>&1
		echo $? >"$tmp/$b.rc"
	} | tee "$tmp/$b.out"
	rc=$(cat "$tmp/$b.rc")
	echo "# $b: exit $rc after $(($(date +%s) - start)) s"
	# count cmocka's results in the summary and the exit status
	# (cmocka 1.1 prints a skipped test as "not ok N # SKIP": a kernel
	# without the feature, e.g. the debug kernel's missing PID_NS)
	cm_passed=$((cm_passed + $(grep -c '^ok ' "$tmp/$b.out")))
	cm_failed=$((cm_failed + $(grep '^not ok ' "$tmp/$b.out" | grep -vc '# SKIP')))
	skipped=$((skipped + $(grep '^not ok ' "$tmp/$b.out" | grep -c '# SKIP')))
	# cmocka prints its own ok / not ok lines; a crash, a timeout or an
	# empty run would go unnoticed without these two checks
	if [ "$rc" != 0 ] && ! grep '^not ok ' "$tmp/$b.out" | grep -qv '# SKIP'; then
		notok "$b ran to completion (exit $rc: crash or timeout?)"
	fi
	if ! grep -q '^ok \|^not ok ' "$tmp/$b.out"; then
		notok "$b reported results"
	fi
	# a dead module shows as a missing device
	[ -c /dev/cmap ] || notok "/dev/cmap still there after $b"
done

# -------------------------------------------------- unloading, module refs
if [ -x "$helper" ] && loaded; then
	# 1. an unbound open file pins the module
	exec 3<>/dev/cmap
	rmmod cmap >"$tmp/err" 2>&1
	check "rmmod refused while /dev/cmap is open" loaded
	diag <"$tmp/err"
	exec 3<&-

	# 2. a file bound to a table with entries, in another process
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$helper" hold "holdtab$$" 500 <"$tmp/fifo" >"$tmp/hold.out" 2>&1 &
	hpid=$!
	exec 4>"$tmp/fifo"
	# shellcheck disable=SC2016 # wait_for evals it
	wait_for 300 'grep -q ready "$tmp/hold.out"'
	check "helper bound to a table holds /dev/cmap open" \
		grep -q ready "$tmp/hold.out"
	rmmod cmap >"$tmp/err" 2>&1
	check "rmmod refused while a process has a bound file" loaded
	exec 4>&-
	wait "$hpid"
	check "helper exited cleanly" test $? = 0

	# 3. tables left defined, not bound, one with big values
	"$helper" fill "keepA$$" 3000 >"$tmp/err" 2>&1 &&
		"$helper" fill "keepB$$" 5 >>"$tmp/err" 2>&1 &&
		"$helper" fill "keepC$$" 0 >>"$tmp/err" 2>&1
	check "tables created and filled for the unload" test $? = 0
	diag <"$tmp/err"
	cnt=$("$helper" entries "keepA$$" 2>"$tmp/err")
	check "a table outlives its creator's file (entries: ${cnt:-?})" \
		test "$cnt" = 3000
	cnt=$("$helper" entries "holdtab$$" 2>"$tmp/err")
	check "the helper's table outlives it (entries: ${cnt:-?})" \
		test "$cnt" = 500
	refcnt=$(cat /sys/module/cmap/refcnt 2>/dev/null)
	check "module refcount is 0 with all files closed (got ${refcnt:-?})" \
		test "$refcnt" = 0

	# 4. now it goes
	rmmod cmap >"$tmp/err" 2>&1
	rc=$?
	diag <"$tmp/err"
	check "rmmod succeeds after close, with tables still defined" \
		test "$rc" = 0
	check "cmap is no longer in /proc/modules" sh -c '! grep -q "^cmap " /proc/modules'
	wait_for 50 '[ ! -e /dev/cmap ]'
	check "/dev/cmap is gone after rmmod" test ! -e /dev/cmap

	# 5. a reload starts empty and unloads again
	if insmod "$ko" 2>"$tmp/err"; then
		wait_for 50 '[ -c /dev/cmap ]'
		"$helper" entries "keepA$$" >/dev/null 2>&1
		check "tables are gone after a reload" test $? != 0
		rmmod cmap 2>"$tmp/err"
		check "rmmod of a fresh module" test $? = 0
	else
		diag <"$tmp/err"
		notok "insmod again after rmmod"
	fi
else
	notok "rmmod checks (cmap_helper missing or module not loaded)"
fi

# ------------------------------------------------------------- kernel log
dmesg >"$tmp/dmesg" 2>&1
awk -v m="$marker start" 'found { print } index($0, m) { found = 1 }' \
	"$tmp/dmesg" >"$tmp/dmesg.new"
[ -s "$tmp/dmesg.new" ] || grep -q "$marker" "$tmp/dmesg" ||
	cp "$tmp/dmesg" "$tmp/dmesg.new"
pat='WARNING:|BUG:|Oops|leak|general protection|RCU stall|rcu_sched self-detected stall|sleeping function|UBSAN|KASAN|list_add corruption|list_del corruption|refcount_t:|Call Trace'
if grep -E "$pat" "$tmp/dmesg.new" >"$tmp/dmesg.bad"; then
	diag <"$tmp/dmesg.new" | tail -n 80
	notok "kernel log has no WARNING/BUG/Oops/leak lines"
else
	ok "kernel log has no WARNING/BUG/Oops/leak lines"
fi

check "cmap is left unloaded" sh -c '! grep -q "^cmap " /proc/modules'
finish
