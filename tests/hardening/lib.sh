# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/hardening/lib.sh: sourced by tests/guest.d/6N-hardening-* (bash, as
# root, in the VM, from the repository root).  TAP numbering across the
# script and its helpers, module load/unload, the kernel log check.
#
# Environment: CMAP_KO (the .ko to load; default kmod/cmap.ko),
# CMAP_HARD_BIN (the helpers; default build/hardening).

set -u
PATH=$PATH:/usr/sbin:/sbin
export PATH

HTOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$HTOP" || exit 2
# Scratch goes to $HTMP; a crashing helper must not leave a core file in
# the repository either (natively, the repository is writable).
ulimit -c 0
KO=${CMAP_KO:-$HTOP/kmod/cmap.ko}
HBIN=${CMAP_HARD_BIN:-$HTOP/build/hardening}
HTMP=$(mktemp -d "${TMPDIR:-/tmp}/cmap-hard.XXXXXX") || exit 2
HNAME=$(basename "$0")
t0=$SECONDS

# Kernel log lines that fail a test (the issue's list, plus the usual).
KLOG_BAD='WARNING:|BUG:|Oops|general protection|KASAN|lockdep|circular locking|leaking|unaccounted|RCU stall|rcu_.* self-detected stall|sleeping function called|UBSAN|refcount_t:|list_add corruption|list_del corruption'

# ok/notok/check/todo/note: TAP lines (a todo is a known bug reported to
# its owner: shown, not a failure)
. "$HTOP/tests/lib/tap.sh"

# run_tap [-t SECONDS] CMD...: runs a helper that prints unnumbered TAP
# ("ok - ", "not ok - ", "# "), numbers its lines into ours, and fails if
# it exits non-zero without a "not ok" (crash, timeout).
run_tap() {
	local to=600 line rc bad=0 pid ts=$SECONDS
	if [ "$1" = -t ]; then to=$2; shift 2; fi
	note "--- $*"
	exec 9< <(timeout -k 10 "$to" "$@" 2>&1; echo "@@rc $?")
	pid=$!
	rc=255
	while IFS= read -r line <&9; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*"# TODO"*) todo "${line#not ok - }" ;;
		"not ok - "*) notok "${line#not ok - }"; bad=1 ;;
		"@@rc "*) rc=${line#@@rc } ;;
		*) echo "$line" ;;
		esac
	done
	exec 9<&-
	wait "$pid" 2>/dev/null
	note "--- $(basename "$1"): exit $rc after $((SECONDS - ts)) s"
	if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
		notok "$(basename "$1") exited with status $rc (crash or timeout?)"
	fi
	return "$rc"
}

# wait_while_alive PID SECONDS CMD...: until CMD succeeds, PID exits or
# SECONDS pass (a condition, not a fixed sleep: slow kernels start late)
wait_while_alive() {
	local pid=$1 to=$2 t0=$SECONDS
	shift 2
	until "$@"; do
		kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt "$to" ] || return 1
		sleep 0.2
	done
}

loaded() { grep -q '^cmap ' /proc/modules; }

# load [PARAM=VALUE...]: insmod CMAP_KO, wait for /dev/cmap.
load() {
	local i=0
	if loaded; then
		rmmod cmap 2>/dev/null || { notok "a cmap module left loaded can be removed"; return 1; }
	fi
	if ! insmod "$KO" "$@" 2>"$HTMP/insmod.err"; then
		sed 's/^/# /' "$HTMP/insmod.err"
		notok "insmod $KO $*"
		return 1
	fi
	while [ ! -c /dev/cmap ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -c /dev/cmap ] || { notok "/dev/cmap appears after insmod"; return 1; }
	return 0
}

# unload: rmmod, then the module must be gone.
unload() {
	local i=0 err
	while ! err=$(rmmod cmap 2>&1); do
		# files may still be closing (processes just killed)
		i=$((i + 1))
		[ $i -ge 50 ] && break
		sleep 0.2
	done
	if loaded; then
		notok "rmmod cmap ($err)"
		return 1
	fi
	ok "rmmod cmap: the module unloads cleanly"
}

# Kernel messages on the console interleave with our TAP lines (a line
# starting "[  12.3] ok 7" is lost to the counter, and so could a "not ok"):
# keep them off the console while we run; klog_check reads them from
# dmesg and quotes the bad ones.  Panics (KERN_EMERG) still show.
hprintk=$(awk '{ print $1 }' /proc/sys/kernel/printk 2>/dev/null)
dmesg -n 1 2>/dev/null

# The kernel log since the script started.
klog_mark="cmap-hardening-$HNAME-$$-$RANDOM"
echo "$klog_mark start" >/dev/kmsg 2>/dev/null
klog() {
	dmesg 2>/dev/null | awk -v m="$klog_mark start" 'f { print } index($0, m) { f = 1 }'
}

# klog_check: no WARN/BUG/Oops/leak in the kernel log since the start.
klog_check() {
	klog >"$HTMP/dmesg"
	if grep -Eq "$KLOG_BAD" "$HTMP/dmesg"; then
		grep -E -A20 "$KLOG_BAD" "$HTMP/dmesg" | head -n 80 | sed 's/^/# | /'
		notok "kernel log clean (no WARNING/BUG/Oops/KASAN/lockdep/leaking/unaccounted)"
	else
		ok "kernel log clean (no WARNING/BUG/Oops/KASAN/lockdep/leaking/unaccounted; $(wc -l <"$HTMP/dmesg") lines checked)"
	fi
}

finish() {
	loaded && rmmod cmap 2>/dev/null
	[ -n "$hprintk" ] && dmesg -n "$hprintk" 2>/dev/null
	rm -rf "$HTMP"
	echo "# $HNAME: $((tap_n - tap_failed)) ok, $tap_failed not ok, $((SECONDS - t0)) s, kernel $(uname -r)"
	tap_done
	exit $?
}

preconditions() {
	if [ "$(id -u)" != 0 ]; then notok "running as root"; finish; fi
	[ -f "$KO" ] || { notok "$KO exists (make module)"; finish; }
	local b
	for b in "$@"; do
		[ -x "$HBIN/$b" ] || { notok "$HBIN/$b is built (make hardening)"; finish; }
	done
	note "$HNAME on $(uname -r) ($(nproc) CPUs), module $KO"
}
