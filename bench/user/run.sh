#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-user: run the userspace benchmark, then chart it.
#   bench/user/run.sh BENCH_BINARY OUTDIR [bench options...]
# Writes OUTDIR/results.csv, growth.csv, summary.txt (the printed table)
# and throughput.png (gnuplot, if installed).
set -eu
bin=$1
out=$2
shift 2
mkdir -p "$out"
echo "bench-user: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" \
	| tee "$out/summary.txt"
"$bin" -o "$out" "$@" | tee -a "$out/summary.txt"

command -v gnuplot >/dev/null || { echo "bench-user: no gnuplot, no chart"; exit 0; }
# One panel per (keys, read%): Mops/s against threads, a line per table.
keys=$(awk -F, 'NR > 1 { print $2 }' "$out/results.csv" | sort -nu)
reads=$(awk -F, 'NR > 1 { print $4 }' "$out/results.csv" | sort -nru)
nk=$(echo "$keys" | wc -l)
nr=$(echo "$reads" | wc -l)
{
	echo "set terminal pngcairo noenhanced size $((420 * nr)),$((340 * nk)) font ',9'"
	echo "set output '$out/throughput.png'"
	echo "set datafile separator ','"
	echo "set multiplot layout $nk,$nr title 'cmap core (userspace: inline table, and of elements) vs cds_lfht, ck_ht, rwlock table: Mops/s'"
	echo "set xlabel 'threads'; set ylabel 'Mops/s'; set key top left; set grid"
	echo "set xtics 1; set yrange [0:*]"
	for k in $keys; do
		for r in $reads; do
			echo "set title '$k keys, $r% reads'"
			printf "plot "
			sep=""
			for impl in cmap cds_lfht ck_ht rwlock cmap-el; do
				printf "%s'%s' using (\$2 == %s && \$4 == %s && strcol(1) eq '%s' ? \$3 : 1/0):5 with linespoints title '%s'" \
					"$sep" "$out/results.csv" "$k" "$r" "$impl" "$impl"
				sep=", "
			done
			echo
		done
	done
	echo "unset multiplot"
} > "$out/throughput.gp"
gnuplot "$out/throughput.gp" && echo "bench-user: chart in $out/throughput.png"
