# SPDX-License-Identifier: GPL-2.0
#
# Hardening: hostile input, limits, permissions, allocation
# faults, concurrency faults, the ioctl fuzzer, static checks.
#
#   make hardening       the helpers (tests/hardening/*.c, the fuzzer
#                        tests/fuzz/ioctl/fuzz_ioctl.c) into build/hardening/
#   make check-hardening only tests/guest.d/*hardening* (one VM boot each)
#   make fuzz-ioctl      the ioctl fuzzer in the VM for FUZZ_SECONDS
#                        (default 600; FUZZ_SEED, FUZZ_THREADS, FUZZ_PROCS),
#                        then the consistency check and a clean unload
#   make static          sparse (C=2) and W=1 over kmod/: zero warnings
#                        (tests/host.d/30-static; part of `make check`)
#
# The guest tests are tests/guest.d/6N-hardening-*, run by the test driver;
# their helpers are built here.

HARD_OUT	:= build/hardening
HARD_CFLAGS	:= -O2 -g -Wall -Wextra -fno-omit-frame-pointer -pthread \
		   -Iinclude/uapi -Iuser -Itests/lib
HARD_BINS	:= $(patsubst tests/hardening/%.c,$(HARD_OUT)/%,\
		     $(wildcard tests/hardening/*.c)) $(HARD_OUT)/fuzz_ioctl
HARD_HDRS	:= tests/lib/hard.h tests/lib/tap.h user/libcmap.h \
		   include/uapi/linux/cmap.h include/uapi/linux/cmap_bench.h
# the helpers' library and the client library (tests/Makefile, user/Makefile)
HARD_LIBS	:= tests/.build/libcmaptest.a user/.build/libcmap.a

.PHONY: hardening check-hardening fuzz-ioctl static

CHECK_DEPS += hardening

hardening: $(HARD_BINS)

$(HARD_OUT)/%: tests/hardening/%.c $(HARD_HDRS) $(HARD_LIBS)
	@mkdir -p $(HARD_OUT)
	$(CC) $(HARD_CFLAGS) -o $@ $< $(HARD_LIBS)

$(HARD_OUT)/fuzz_ioctl: tests/fuzz/ioctl/fuzz_ioctl.c $(HARD_HDRS) $(HARD_LIBS)
	@mkdir -p $(HARD_OUT)
	$(CC) $(HARD_CFLAGS) -o $@ $< $(HARD_LIBS)

check-hardening: module hardening
	@rc=0; for t in tests/guest.d/*hardening*; do \
		echo "# $$t"; $(VMRUN) $$t || rc=1; \
	done; exit $$rc

# FUZZ_SECONDS from the command line or the environment; else 600 (the
# `make check` run, tests/guest.d/64-hardening-fuzz, takes about 60).
FUZZ_IOCTL_SECONDS = $(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),600)

fuzz-ioctl: module hardening
	@$(if $(filter 1,$(NATIVE)),,tests/vm/run --timeout $$(($(FUZZ_IOCTL_SECONDS) + 600)) --) \
		tests/fuzz/ioctl/run --seconds $(FUZZ_IOCTL_SECONDS)

static: test-deps
	@tests/host.d/30-static
