#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/bench.sh: the standard matrix of the in-kernel benchmark
# (CMAP_IOC_BENCH through `cmapctl bench`), behind `make bench`.
#
#   scripts/bench.sh [--out DIR] [--duration SEC] [--native | --report]
#
# Matrix: the modes {rcu, rwlock, spinlock, cow, racecheck} (those the
# module has) and the kernel's rhashtable, x read% {100, 90, 50} x threads
# {1, 2} x keys {1K, 1M}, SEC seconds per cell (default 2); then growth from
# empty to 1M keys, rcu beside rhashtable.  cow is left out of the 1M cells:
# a cow table is filled one copy-on-write insert at a time, O(n) each, so
# preloading 1M keys would copy ~5*10^11 entries.  The keys and values are
# 8 bytes, so the modes run on inline tables (cmapctl bench --inline: keys
# and values in the buckets); then the layout run: rcu on a table of
# elements (what other sizes get) beside rhashtable at 1M keys, 2 threads,
# 100% and 90% reads, which the report sets against the inline figures.
#
# Runs in the test VM (tests/vm/run: 2 vCPUs, TSC clocksource) unless
# --native (or NATIVE=1: this machine, as root, must load modules); about
# 13 minutes under TCG.  Writes DIR/bench.csv and DIR/bench.json (a record
# per mode and cell, the fields of `cmapctl bench --csv`) and DIR/bench.png
# (gnuplot: ops/s per mode by read% at 2 threads, 1K and 1M keys); prints
# per cell a table of read and write ns/op with speed ratios against rcu
# and rhashtable, memory per entry at 1M keys, the growth run, and the
# performance goals with their figures.  DIR defaults to build/bench.
# --report: only the report (and chart) of the results already in DIR.
# CMAP_BENCH_KO overrides kmod/cmap.ko.
#
# TCG caveat: QEMU emulates the CPUs, so in-VM figures are only meaningful
# as ratios between modes measured in the same run; and on a busy host the
# wall-clock ops/s carry the host's preemptions of the vCPUs, which the
# sampled per-op times (fastest 99%) leave out: the goals show both.
set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top" || exit 2
me=scripts/bench.sh
out=$top/build/bench
dur=2
native=${NATIVE:-0}
invm=0
only_report=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--duration) dur=$2; shift 2 ;;
	--native) native=1; shift ;;
	--in-vm) invm=1; shift ;;
	--report) only_report=1; shift ;;
	-h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "$me: unknown argument $1" >&2; exit 2 ;;
	esac
done
ko=${CMAP_BENCH_KO:-kmod/cmap.ko}
ctl=user/cmapctl
csv=$out/bench.csv

die() { echo "$me: $*" >&2; exit 1; }

# ---------------------------------------------------------------- the runs
run_matrix() {
	local modes=() m keys t pct cell fail=0 t0
	mkdir -p "$out" || die "cannot create $out"
	rm -f "$csv" "$out/bench.json" "$out/bench.png"
	if [ -e /dev/cmap ]; then
		die "cmap.ko is loaded already: unload it first (rmmod cmap)"
	fi
	insmod "$ko" || die "insmod $ko failed"
	dmesg -c >/dev/null 2>&1

	for m in rcu rwlock spinlock cow racecheck; do
		if $ctl bench --modes "$m" --keys 16 --threads 1 --duration 0.01 \
			>/dev/null 2>"$out/probe.err"; then
			modes+=("$m")
		else
			echo "# mode $m: left out: $(cat "$out/probe.err")"
		fi
	done
	rm -f "$out/probe.err"
	[ ${#modes[@]} -gt 0 ] || { rmmod cmap; die "cmapctl bench fails for every mode"; }
	echo "# modes: ${modes[*]} and rhashtable; ${dur} s per cell; cow not at 1M keys (O(n) per insert: preload O(n^2)); inline tables"

	t0=$SECONDS
	for keys in 1000 1000000; do
		for t in 1 2; do
			for pct in 100 90 50; do
				cell=$(IFS=,; echo "${modes[*]}")
				[ "$keys" = 1000000 ] && cell=$(echo ",$cell," | sed 's/,cow,/,/; s/^,//; s/,$//')
				printf '# %4ss  %s keys, %s thread(s), %3s%% reads: %s,rhashtable\n' \
					$((SECONDS - t0)) "$([ "$keys" = 1000 ] && echo 1K || echo 1M)" \
					"$t" "$pct" "$cell"
				$ctl bench --csv --inline --modes "$cell,rhashtable" \
					--threads "$t" --read-pct "$pct" --keys "$keys" \
					--duration "$dur" >"$out/cell.csv" || { fail=1; break 3; }
				[ -s "$csv" ] || head -n1 "$out/cell.csv" >"$csv"
				tail -n +2 "$out/cell.csv" >>"$csv"
			done
		done
	done
	if [ $fail = 0 ]; then
		printf '# %4ss  growth to 1M keys, 2 threads: rcu,rhashtable\n' $((SECONDS - t0))
		$ctl bench --csv --inline --growth --modes rcu,rhashtable \
			--threads 2 --keys 1000000 >"$out/cell.csv" || fail=1
		tail -n +2 "$out/cell.csv" >>"$csv"
	fi
	for pct in 100 90; do
		[ $fail = 0 ] || break
		printf '# %4ss  layout: 1M keys, 2 threads, %s%% reads: rcu of elements,rhashtable\n' \
			$((SECONDS - t0)) "$pct"
		$ctl bench --csv --modes rcu,rhashtable --threads 2 --read-pct "$pct" \
			--keys 1000000 --duration "$dur" >"$out/cell.csv" || fail=1
		tail -n +2 "$out/cell.csv" | grep '^rcu,' >>"$csv"
	done
	rm -f "$out/cell.csv"
	printf '# %4ss  done\n' $((SECONDS - t0))
	rmmod cmap || fail=1
	if dmesg | grep -E 'WARNING:|BUG:|Oops|blocked for more than' >&2; then
		echo "$me: the kernel complained during the run (above)" >&2
		fail=1
	fi
	[ $fail = 0 ] || die "the benchmark failed"
	csv_to_json <"$csv" >"$out/bench.json"
}

# CSV (with a header line) to a JSON array of objects
csv_to_json() {
	awk -F, 'NR == 1 { n = split($0, h, ","); next }
	{
		printf "%s  {", (c++ ? ",\n" : "[\n")
		for (i = 1; i <= n; i++) {
			v = $i
			if (v == "")
				v = "null"
			else if (v !~ /^-?[0-9]+(\.[0-9]+)?$/)
				v = "\"" v "\""
			printf "%s\"%s\": %s", (i > 1 ? ", " : ""), h[i], v
		}
		printf "}"
	}
	END { print (c ? "\n]" : "[]") }'
}

# ------------------------------------------------------------- the report
# The CSV's columns by name, for awk: -v of each name to its column number.
awk_cols() {
	head -n1 "$csv" | tr , '\n' | awk '{ printf "-v c_%s=%d ", $1, NR }'
}
# For those awk programs: a row of a cmap table of elements (the layout
# run; a CSV from before the inline column has no such row).
# shellcheck disable=SC2016 # (awk code: its $ are awk's)
awk_el='function el() { return c_inline != "" && $c_inline == 0 && $c_mode != "rhashtable" }'

report_tables() {
	# shellcheck disable=SC2046
	awk -F, $(awk_cols) 'NR > 1 && $c_growth == 0 && !el() {
		cell = $c_threads " thread" ($c_threads > 1 ? "s" : "") ", " \
		       $c_read_pct "% reads, " ($c_keys >= 1000000 ? $c_keys / 1000000 "M" : $c_keys / 1000 "K") " keys"
		if (cell != last) {
			printf "\n%s\n", cell
			printf "%-10s %10s %11s %12s %9s %9s %9s %9s %7s\n", "mode", "ops/s", \
			       "read ns/op", "write ns/op", "ops xrcu", "read xrcu", \
			       "ops xrht", "read xrht", "failed"
			last = cell
		}
		printf "%-10s %10d %11s %12s %9s %9s %9s %9s %7d\n", $c_mode, $c_ops_per_sec, \
		       $c_reads ? $c_read_ns : "-", $c_writes ? $c_write_ns : "-", \
		       r($c_ops_vs_rcu), r($c_read_vs_rcu), \
		       r($c_ops_vs_rhashtable), r($c_read_vs_rhashtable), $c_failed
	}
	function r(v) { return v == "" ? "-" : sprintf("%.2f", v) }
	'"$awk_el" "$csv"
	echo
	echo "x columns: speed against rcu / rhashtable in the same cell, >1 is faster"
	echo "(ops/s over theirs; read: their ns per lookup over ours).  ns/op: mean of"
	echo "the sampled ops (every 64th, fastest 99%), TCG: compare ratios only."
}

report_memory() {
	echo
	echo "Memory per entry, 1M 8-byte keys with 8-byte values (after the 2-thread 100%-read cell):"
	# shellcheck disable=SC2046
	awk -F, $(awk_cols) 'NR > 1 && $c_growth == 0 && $c_keys == 1000000 &&
		$c_threads == 2 && $c_read_pct == 100 {
		printf "  %-15s %8.1f bytes/entry  (%d entries, %d bytes)\n", \
		       $c_mode (el() ? " (elements)" : ""), \
		       $c_bytes_per_entry, $c_entries, $c_bytes
	}
	'"$awk_el" "$csv"
	echo "  cow: not measured at 1M keys (no 1M cow preload, see above)"
}

# The layout run: rcu on elements against rcu inline, 1M keys, 2 threads.
report_layout() {
	echo
	echo "Layout, 1M keys, 2 threads: rcu on an inline table against rcu on a table"
	echo "of elements (a lookup reads the bucket, then the element), each with its"
	echo "rhashtable of the same invocation:"
	# shellcheck disable=SC2046
	awk -F, $(awk_cols) 'NR > 1 && $c_growth == 0 && $c_keys == 1000000 &&
		$c_threads == 2 && $c_mode == "rcu" {
		l = el() ? "elements" : "inline"
		ops[l, $c_read_pct] = $c_ops_per_sec
		rd[l, $c_read_pct] = $c_read_ns
		xr[l, $c_read_pct] = $c_read_vs_rhashtable
	}
	END {
		for (p = 100; p >= 90; p -= 10) {
			if (!ops["elements", p] || !ops["inline", p])
				continue
			printf "  %3d%% reads: inline %d ops/s, %d read ns (%.2fx rhashtable);", \
			       p, ops["inline", p], rd["inline", p], xr["inline", p]
			printf " elements %d ops/s, %d read ns (%.2fx); inline/elements %.2fx\n", \
			       ops["elements", p], rd["elements", p], xr["elements", p], \
			       ops["inline", p] / ops["elements", p]
		}
	}
	'"$awk_el" "$csv"
}

report_growth() {
	echo
	echo "Growth from empty to 1M keys, 2 threads, every insert timed:"
	printf '  %-10s %10s %8s %8s %9s %11s %12s %8s %9s\n' mode inserts/s failed \
		busy resizes "p99.9 ns" "max ns" bytes/e "mean ns"
	# shellcheck disable=SC2046
	awk -F, $(awk_cols) 'NR > 1 && $c_growth == 1 {
		printf "  %-10s %10d %8d %8d %9d %11d %12d %8.1f %9d\n", $c_mode, \
		       $c_ops_per_sec, $c_failed, $c_busy, $c_resizes, $c_p999_ns, \
		       $c_max_ns, $c_bytes_per_entry, $c_write_ns
	}' "$csv"
}

report_goals() {
	echo
	echo "Goals, 2 threads on 2 vCPUs, this run.  ops/s: the ratio of throughputs (wall"
	echo "clock, so it carries the host's preemptions of the vCPUs); per-op: the ratio of"
	echo "mean sampled operation times (fastest 99%), which leaves those out:"
	# shellcheck disable=SC2046
	awk -F, $(awk_cols) 'NR > 1 && $c_growth == 0 && $c_threads == 2 && !el() {
		k = $c_keys "/" $c_read_pct
		ops[$c_mode, k] = $c_ops_per_sec
		if ($c_ops)
			cost[$c_mode, k] = ($c_reads * $c_read_ns + $c_writes * $c_write_ns) / $c_ops
		if ($c_keys == 1000000 && $c_read_pct == 100)
			mem[$c_mode] = $c_bytes_per_entry
	}
	NR > 1 && $c_growth == 1 {
		gf[$c_mode] = $c_failed
		gb[$c_mode] = $c_busy
	}
	function verdict(v, want) { return v >= want ? "met" : "MISSED" }
	function goal(pct, other, want,    kk, k, o, c) {
		for (kk = 1000; kk <= 1000000; kk *= 1000) {
			k = kk "/" pct
			printf "  %3d%% reads, %s keys, rcu vs %-10s (goal >= %.1fx): ", pct, \
			       (kk == 1000 ? "1K" : "1M"), other, want
			if (!ops["rcu", k] || !ops[other, k] || !cost["rcu", k] || !cost[other, k]) {
				print "not measured"
				continue
			}
			o = ops["rcu", k] / ops[other, k]
			c = cost[other, k] / cost["rcu", k]
			printf "ops/s %.2fx %s, per-op %.2fx %s\n", o, verdict(o, want), \
			       c, verdict(c, want)
		}
	}
	END {
		goal(100, "rhashtable", 1.2)
		goal(100, "rwlock", 2.0)
		goal(90, "rhashtable", 1.0)
		goal(90, "rwlock", 2.0)
		if (("rcu" in mem) && ("rhashtable" in mem))
			printf "  memory per entry at 1M keys, rcu %.1f vs rhashtable %.1f bytes (goal <=): %s\n", \
			       mem["rcu"], mem["rhashtable"], \
			       (mem["rcu"] <= mem["rhashtable"] ? "met" : "MISSED")
		if ("rcu" in gf)
			printf "  growth to 1M keys, rcu: %d failed inserts (goal 0): %s; rhashtable: %d failed, %d -EBUSY\n", \
			       gf["rcu"], (gf["rcu"] ? "MISSED" : "met"), gf["rhashtable"], \
			       gb["rhashtable"]
	}
	'"$awk_el" "$csv"
}

report_chart() {
	local dat=$out/chart.dat png=$out/bench.png k n=0 plots=() cols m first rest
	if ! command -v gnuplot >/dev/null; then
		echo "# gnuplot not found (apt-get install gnuplot-nox): no chart" >&2
		return 0
	fi
	# A block per key count: a row per read%, a column per mode measured.
	for k in 1000 1000000; do
		# shellcheck disable=SC2046
		awk -F, $(awk_cols) -v k="$k" 'NR > 1 && $c_growth == 0 &&
			$c_threads == 2 && $c_keys == k && !el() {
			if (!($c_mode in seen)) { seen[$c_mode] = 1; order[++nm] = $c_mode }
			v[$c_read_pct, $c_mode] = $c_ops_per_sec
		}
		END {
			if (!nm) exit
			printf "read%%"
			for (i = 1; i <= nm; i++) printf " %s", order[i]
			printf "\n"
			split("100 90 50", pcts, " ")
			for (j = 1; j <= 3; j++) {
				printf "%d%%", pcts[j]
				for (i = 1; i <= nm; i++) {
					x = v[pcts[j], order[i]]
					printf " %s", x == "" ? "NaN" : x
				}
				printf "\n"
			}
			printf "\n\n"
		}
		'"$awk_el" "$csv"
	done >"$dat"
	# a panel per block; one colour per mode, the same in both panels
	while read -r first rest; do
		[ "$first" = "read%" ] || continue
		cols=
		for m in $rest; do
			case $m in
			rcu) cols+=" #9400d3" ;;
			rwlock) cols+=" #009e73" ;;
			spinlock) cols+=" #56b4e9" ;;
			cow) cols+=" #e69f00" ;;
			racecheck) cols+=" #f0e442" ;;
			*) cols+=" #0072b2" ;;
			esac
		done
		plots+=("set title \"$([ $n = 0 ] && echo 1K || echo 1M) keys\"")
		plots+=("plot for [i=2:$(($(wc -w <<<"$rest") + 1))] \"$dat\" index $n using i:xtic(1) title columnheader(i) lc rgb word(\"$cols\", i - 1)")
		n=$((n + 1))
	done <"$dat"
	[ $n -gt 0 ] || return 0
	gnuplot <<EOF || { echo "# gnuplot failed: no chart" >&2; return 0; }
set terminal pngcairo size 1200,500 noenhanced font ",10"
set output "$png"
set multiplot layout 1,$n title "cmap in-kernel benchmark, 2 threads on 2 vCPUs (QEMU TCG): ops/s per mode by read%"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set format y "%.0s%c"
set ylabel "ops/s (log)"
set key top right font ",8"
set grid ytics
$(printf '%s\n' "${plots[@]}")
unset multiplot
EOF
	echo "# chart: $png"
}

report() {
	[ -s "$csv" ] || die "no results in $csv"
	echo "cmap benchmark: $csv, ${csv%.csv}.json"
	report_tables
	report_memory
	report_layout
	report_growth
	report_goals
	report_chart
}

# ------------------------------------------------------------------- main
if [ "$only_report" = 1 ]; then
	:
elif [ "$invm" = 1 ] || [ "$native" = 1 ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (it loads $ko)"
	[ -r "$ko" ] || die "no $ko: run make module first"
	[ -x "$ctl" ] || die "no $ctl: run make user first"
	run_matrix
	[ "$invm" = 1 ] && exit 0
else
	mkdir -p "$out" || die "cannot create $out"
	# tsc=reliable: the guest's clocksource is then the TSC (under TCG the
	# host's monotonic clock, the same on every vCPU) rather than the HPET,
	# whose every read is an emulated MMIO access: ~300 ns instead of ~90
	# per ktime_get_ns(), twice per sampled operation.
	CMAP_VM_OUT=$out tests/vm/run --cpus 2 --mem 3072 --timeout 2400 \
		--append tsc=reliable \
		-- "$0" --in-vm --out "$out" --duration "$dur" || die "the VM run failed"
fi
report
