#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/tcg-profile.sh: profile guest (kernel) code by instructions
# executed, under QEMU TCG (no PMU needed), behind `make tcg-profile`.
#
#   scripts/tcg-profile.sh [options] [--] SHELL-COMMAND...
#   scripts/tcg-profile.sh --report [options]
#
# Builds the TCG plugin tools/tcgprof (build/tcgprof/tcgprof.so), boots the
# test VM (tests/vm/run) with it, runs SHELL-COMMAND (its words joined, run
# by bash -c, as root, in the current directory) and powers off.  The
# plugin counts the guest instructions of every translation block; the
# guest's /proc/kallsyms is saved at the start, whenever /proc/modules
# changes and at the end, so a module's functions are named even when the
# command unloads it.  Then prints the top functions by instructions.
# Everything the VM ran counts (boot, command, power-off): make the command
# dominate, or profile a shorter baseline run and subtract it (--minus).
#
# Options:
#   --out DIR        results: DIR/tbs (vaddr insns execs per TB),
#                    DIR/kallsyms*, DIR/report (default build/tcgprof/run)
#   --top N          functions to list (default 25; per block inside one
#                    function: tools/tcgprof/symbolize.py --blocks FUNC)
#   --minus DIR      subtract the profile in DIR per function (each run
#                    symbolized with its own kallsyms)
#   --ops A[,B]      operations the run (and the --minus run) did: adds
#                    instructions per operation
#   --report         only print the report of the results in --out DIR
#   --append STR     extra guest kernel command line (default tsc=reliable)
#   --cpus N, --mem MB, --timeout SEC   passed to tests/vm/run
#                    (defaults 2, 3072, 1800)
#
# Example (what `make tcg-profile CMD=...` runs):
#   scripts/tcg-profile.sh --out build/tcgprof/rcu -- 'insmod kmod/cmap.ko &&
#       user/cmapctl bench --modes rcu --threads 2 --read-pct 0 --duration 10'
#
# The plugin slows TCG down by about 1.5x.  Counts are instructions, not
# time: cache misses and lock waits (spinning aside) do not show.
set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd -P)
me=scripts/tcg-profile.sh
out=$top/build/tcgprof/run
ntop=25
minus=
ops=
report_only=0
invm=0
append=tsc=reliable
cpus=2
mem=3072
timeout=1800

die() { echo "$me: $*" >&2; exit 1; }
need_arg() { [ $# -ge 2 ] || die "option $1 needs an argument"; }
while [ $# -gt 0 ]; do
	case $1 in
	--out) need_arg "$@"; out=$2; shift 2 ;;
	--top) need_arg "$@"; ntop=$2; shift 2 ;;
	--minus) need_arg "$@"; minus=$2; shift 2 ;;
	--ops) need_arg "$@"; ops=$2; shift 2 ;;
	--report) report_only=1; shift ;;
	--append) need_arg "$@"; append=$2; shift 2 ;;
	--cpus) need_arg "$@"; cpus=$2; shift 2 ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--timeout) need_arg "$@"; timeout=$2; shift 2 ;;
	--in-vm) invm=1; shift ;;
	-h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (--help)" ;;
	*) break ;;
	esac
done

# ------------------------------------------------------------ in the guest
# Saves kallsyms around the command; $CMAP_VM_OUT is the output directory.
# Reading /proc/kallsyms costs ~0.4G guest instructions (in the profile,
# as vsnprintf, kallsyms_expand_symbol, ...): read it in full at the start,
# and again only when the module list changed (module lines only).
if [ "$invm" = 1 ]; then
	o=${CMAP_VM_OUT:?}
	cat /proc/kallsyms >"$o/kallsyms" || exit 2
	: >"$o/kallsyms.modules"
	mods() { cut -d' ' -f1,5 /proc/modules; }
	snap() { grep '\[' /proc/kallsyms >>"$o/kallsyms.modules"; }
	mods >/tmp/tcgprof.mods
	(
		prev=$(mods)
		while sleep 1; do
			cur=$(mods)
			if [ "$cur" != "$prev" ]; then
				snap
				prev=$cur
				echo "$cur" >"/tmp/tcgprof.mods"
			fi
		done
	) &
	poll=$!
	bash -c "$*"
	rc=$?
	kill "$poll" 2>/dev/null
	wait "$poll" 2>/dev/null
	[ "$(mods)" = "$(cat /tmp/tcgprof.mods)" ] || snap
	exit $rc
fi

report() {
	local ks=("$out/kallsyms") args=(--top "$ntop")
	[ -s "$out/tbs" ] || die "no profile in $out/tbs"
	[ -s "$out/kallsyms.modules" ] && ks+=("$out/kallsyms.modules")
	if [ -n "$minus" ]; then
		[ -s "$minus/tbs" ] || die "no profile in $minus/tbs"
		args+=(--minus "$minus/tbs" --minus-syms "$minus/kallsyms")
		[ -s "$minus/kallsyms.modules" ] &&
			args+=(--minus-syms "$minus/kallsyms.modules")
	fi
	[ -n "$ops" ] && args+=(--ops "$ops")
	python3 "$top/tools/tcgprof/symbolize.py" "${args[@]}" "$out/tbs" "${ks[@]}"
}

if [ "$report_only" = 1 ]; then
	report
	exit
fi
[ $# -gt 0 ] || die "no command given (--help)"
command -v python3 >/dev/null || die "python3 not found (apt-get install python3)"

# ----------------------------------------------------------------- the run
plugdir=$top/build/tcgprof
mkdir -p "$plugdir" "$out" || die "cannot create $plugdir or $out"
make -s -C "$top/tools/tcgprof" O="$plugdir" "$plugdir/tcgprof.so" ||
	die "building the plugin failed"
out=$(cd "$out" && pwd -P)
rm -f "$out/tbs" "$out/kallsyms" "$out/kallsyms.modules" "$out/report"
CMAP_VM_OUT=$out "$top/tests/vm/run" --cpus "$cpus" --mem "$mem" --timeout "$timeout" \
	--append "$append" --qemu-args "-plugin $plugdir/tcgprof.so,out=$out/tbs" \
	-- "$top/scripts/tcg-profile.sh" --in-vm -- "$@"
rc=$?
[ "$rc" = 0 ] || echo "$me: the command failed in the VM (exit $rc); reporting anyway" >&2
report | tee "$out/report"
exit $rc
