# SPDX-License-Identifier: GPL-2.0
#
# The in-kernel benchmark: CMAP_IOC_BENCH (kmod/cmap_bench.c)
# through `cmapctl bench`, every mode against the kernel's rhashtable.
#
#   make bench    the standard matrix (scripts/bench.sh) in the test VM with
#                 2 vCPUs, about 13 minutes under TCG: build/bench/bench.csv,
#                 bench.json, bench.png and the report on stdout.
#                 BENCH_DURATION: seconds per cell (default 2); NATIVE=1:
#                 on this machine instead of the VM.
#
# Its smoke test is tests/guest.d/40-bench (part of `make check`).

BENCH_DURATION ?= 2

.PHONY: bench

bench: module user
	@scripts/bench.sh --duration $(BENCH_DURATION) $(if $(filter 1,$(NATIVE)),--native)
