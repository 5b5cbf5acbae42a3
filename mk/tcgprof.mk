# SPDX-License-Identifier: GPL-2.0
#
# Profiling guest kernel code by instructions executed, under QEMU TCG
# (this machine has no PMU: perf cannot sample): tools/tcgprof, a TCG
# plugin counting instructions per translation block, and
# scripts/tcg-profile.sh, which boots the test VM with it, runs a command
# and names the top functions from the guest's kallsyms.
#
#   make tcg-profile CMD='insmod kmod/cmap.ko && user/cmapctl bench ...'
#                   TCGPROF_OUT: results (default build/tcgprof/run);
#                   TCGPROF_ARGS: more scripts/tcg-profile.sh options
#                   (--top N, --minus DIR, --ops A,B)
#   make tcgprof    only build the plugin (build/tcgprof/tcgprof.so)
#
# docs/tcg-profile.md: how to read the output and subtract a baseline.

TCGPROF_OUT	?= build/tcgprof/run
TCGPROF_ARGS	?=

.PHONY: tcgprof tcg-profile

tcgprof:
	@mkdir -p build/tcgprof
	$(MAKE) -C tools/tcgprof O=$(CURDIR)/build/tcgprof $(CURDIR)/build/tcgprof/tcgprof.so

tcg-profile: test-deps module user
	$(if $(CMD),,@echo "make tcg-profile: give the command to profile: CMD='...'" >&2; exit 2)
	@scripts/tcg-profile.sh --out $(TCGPROF_OUT) $(TCGPROF_ARGS) -- '$(subst ','\'',$(CMD))'
