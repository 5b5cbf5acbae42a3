# SPDX-License-Identifier: GPL-2.0
#
# BPF area: mapstat (bpf/mapstat.bpf.c + user/mapstat*.c) and its tests.
#
#   make mapstat          the BPF skeleton (bpf/Makefile) and user/mapstat
#   make bench-overhead   the same load with and without mapstat attached,
#                         alternately, in one VM run; prints the slowdown
#   make check-mapstat    only tests/guest.d/*mapstat* (in the VM), the full
#                         variant (CMAP_MAPSTAT_FULL=1; `make check` runs
#                         the quick one)
#
# The guest tests themselves are tests/guest.d/NN-mapstat, run by the test
# driver; their helper programs are built here into build/mapstat-tests/.

MAPSTAT_TEST_OUT := build/mapstat-tests
MAPSTAT_TEST_BINS := $(MAPSTAT_TEST_OUT)/hotload

.PHONY: mapstat mapstat-tests bench-overhead check-mapstat

all: mapstat

mapstat: deps
	$(MAKE) -C bpf
	$(MAKE) -C user mapstat

mapstat-tests: $(MAPSTAT_TEST_BINS)

# linked with the client library (user/Makefile decides when to rebuild it)
$(MAPSTAT_TEST_OUT)/%: tests/mapstat/%.c include/uapi/linux/cmap.h \
		user/libcmap.h user/.build/libcmap.a
	@mkdir -p $(MAPSTAT_TEST_OUT)
	$(CC) -O2 -g -Wall -Wextra -fno-omit-frame-pointer -pthread \
		-Iinclude/uapi -Iuser -o $@ $< user/.build/libcmap.a -lm

CHECK_DEPS += mapstat mapstat-tests

bench-overhead: module mapstat mapstat-tests
	@$(VMRUN) tests/mapstat/bench-overhead

check-mapstat: module mapstat mapstat-tests
	@for t in tests/guest.d/*mapstat*; do \
		echo "# $$t"; CMAP_MAPSTAT_FULL=1 $(VMRUN) $$t || exit 1; \
	done
