# SPDX-License-Identifier: GPL-2.0
#
# The table core in userspace.  kmod/cmap_core.c is compiled as
# it is, against the kernel-API shim in tests/shim/ (liburcu, pthreads, a
# counting allocator with fault injection), into a few builds:
#
#   test    gcc, ASan + UBSan, lockdep and RCU checks: unit tests, stress
#   tsan    clang, ThreadSanitizer, same checks: stress
#   fuzz    clang, libFuzzer + ASan + UBSan: the core fuzzer
#   bench   gcc -O2, no checks: the benchmark
#   fake    gcc, ASan + UBSan (aborting), same checks, PIC: with the ioctl
#           layer (kmod/cmap_ioctl.c) and user/fakecmap.c, libfakecmap.so,
#           the LD_PRELOADed /dev/cmap of tests/host.d/25-cmapctl
#
# Targets:
#   make userspace     build all of them (part of `make check`, whose host
#                      entry points tests/host.d/2[0-3]-core-* run them)
#   make fake          build/userspace/fake/libfakecmap.so
#   make unit          the unit tests
#   make stress        long stress runs, TSan then ASan+UBSan
#                      (STRESS_SECONDS each, default 300; STRESS_THREADS)
#   make fuzz          the fuzzer for FUZZ_SECONDS (default 60); new inputs
#                      go to build/userspace/fuzz/corpus, crashes to
#                      build/userspace/fuzz/artifacts
#   make bench-user    the benchmark: CSV, PNG chart and a table of ratios
#                      in build/userspace/bench-results (BENCH_ARGS)

US		:= build/userspace
US_CC		?= gcc
US_CLANG	?= clang-14
STRESS_SECONDS	?= 300
STRESS_THREADS	?= 8
FUZZ_SECONDS	?= 60
BENCH_ARGS	?=

US_SHIM_SRCS	:= $(wildcard tests/shim/*.c)
US_HDRS		:= $(wildcard tests/shim/*.h tests/shim/*/*.h tests/shim/*/*/*.h) \
		   kmod/cmap_core.h kmod/cmap_trace.h mk/userspace.mk
US_UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
US_UNIT_HELPERS	:= tests/unit/unit_util.c
US_UNIT_HDRS	:= tests/unit/unit_util.h

# Recursive: evaluated when a recipe runs, after `deps` installed them.
US_URCU_LIBS	= $(shell pkg-config --libs liburcu-memb)
US_BENCH_LIBS	= $(shell pkg-config --libs liburcu-memb liburcu-cds ck)
US_CMOCKA_LIBS	= $(shell pkg-config --libs cmocka)

US_CPPFLAGS	:= -D_GNU_SOURCE -Itests/shim -Ikmod
US_CFLAGS	:= -std=gnu11 -g -fno-strict-aliasing -fno-omit-frame-pointer -pthread
US_WARN		:= -Wall -Wextra -Wmissing-prototypes
# The core is kernel code: the kernel's W=1 warnings (scripts/Makefile.extrawarn).
US_KWARN	:= -Wall -Wextra -Wunused -Wno-unused-parameter \
		   -Wmissing-declarations -Wmissing-prototypes \
		   -Wold-style-definition -Wno-missing-field-initializers \
		   -Wno-sign-compare -Wno-type-limits -Wno-shift-negative-value
US_CHECKS	:= -DCONFIG_LOCKDEP -DCONFIG_PROVE_RCU -DCONFIG_SHIM_HOOKS \
		   -DSHIM_POISON

US_test_CC	= $(US_CC)
US_test_FLAGS	:= -O1 $(US_CHECKS) -fsanitize=address,undefined \
		   -fsanitize-recover=address,undefined
US_test_LDFLAGS	:= -fsanitize=address,undefined
US_tsan_CC	= $(US_CLANG)
US_tsan_FLAGS	:= -O1 $(US_CHECKS) -fsanitize=thread
US_tsan_LDFLAGS	:= -fsanitize=thread
US_fuzz_CC	= $(US_CLANG)
US_fuzz_FLAGS	:= -O1 $(US_CHECKS) -fsanitize=fuzzer-no-link,address,undefined \
		   -fno-sanitize-recover=undefined
US_fuzz_LDFLAGS	:= -fsanitize=fuzzer,address,undefined
US_bench_CC	= $(US_CC)
US_bench_FLAGS	:= -O2 -DNDEBUG
US_bench_LDFLAGS :=
US_fake_CC	= $(US_CC)
US_fake_FLAGS	:= -O1 $(US_CHECKS) -fPIC -fvisibility=hidden \
		   -fsanitize=address,undefined -fno-sanitize-recover=all
US_fake_LDFLAGS	:= -fsanitize=address,undefined

# $(1): build name.  The shim and the core as a library of that build.
define us_build
$(US)/$(1)/shim/%.o: tests/shim/%.c $(US_HDRS)
	@mkdir -p $$(@D)
	$$(US_$(1)_CC) $(US_CPPFLAGS) $(US_CFLAGS) $$(US_$(1)_FLAGS) $(US_WARN) -c -o $$@ $$<

$(US)/$(1)/core/cmap_core.o: kmod/cmap_core.c $(US_HDRS)
	@mkdir -p $$(@D)
	$$(US_$(1)_CC) $(US_CPPFLAGS) $(US_CFLAGS) $$(US_$(1)_FLAGS) $(US_KWARN) -c -o $$@ $$<

$(US)/$(1)/libcmapcore.a: $(patsubst tests/shim/%.c,$(US)/$(1)/shim/%.o,$(US_SHIM_SRCS)) \
			  $(US)/$(1)/core/cmap_core.o
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach b,test tsan fuzz bench fake,$(eval $(call us_build,$(b))))

US_UNIT_BINS	:= $(patsubst tests/unit/%.c,$(US)/test/unit/%,$(US_UNIT_SRCS))

$(US)/test/unit/%: tests/unit/%.c $(US_UNIT_HELPERS) $(US_UNIT_HDRS) $(US)/test/libcmapcore.a
	@mkdir -p $(@D)
	$(US_test_CC) $(US_CPPFLAGS) $(US_CFLAGS) $(US_test_FLAGS) $(US_WARN) \
		-o $@ $< $(US_UNIT_HELPERS) $(US)/test/libcmapcore.a \
		$(US_test_LDFLAGS) $(US_CMOCKA_LIBS) $(US_URCU_LIBS)

# The stress test, under each sanitizer.
$(US)/%/stress: tests/stress/stress.c $(US)/%/libcmapcore.a
	@mkdir -p $(@D)
	$(US_$*_CC) $(US_CPPFLAGS) $(US_CFLAGS) $(US_$*_FLAGS) $(US_WARN) \
		-o $@ $< $(US)/$*/libcmapcore.a $(US_$*_LDFLAGS) $(US_URCU_LIBS)

$(US)/fuzz/fuzz_core: tests/fuzz/core/fuzz_core.c $(US)/fuzz/libcmapcore.a
	@mkdir -p $(@D)
	$(US_fuzz_CC) $(US_CPPFLAGS) $(US_CFLAGS) $(US_fuzz_FLAGS) $(US_WARN) \
		-o $@ $< $(US)/fuzz/libcmapcore.a $(US_fuzz_LDFLAGS) $(US_URCU_LIBS)

US_BENCH_SRCS	:= $(wildcard bench/user/*.c)
$(US)/bench/bench: $(US_BENCH_SRCS) $(wildcard bench/user/*.h) $(US)/bench/libcmapcore.a
	@mkdir -p $(@D)
	$(US_bench_CC) $(US_CPPFLAGS) $(US_CFLAGS) $(US_bench_FLAGS) $(US_WARN) \
		-o $@ $(US_BENCH_SRCS) $(US)/bench/libcmapcore.a \
		$(US_BENCH_LIBS) -lm

# The ioctl layer and its LD_PRELOAD glue: only the glue's interposed calls
# are exported (-fvisibility=hidden, --exclude-libs), so the shim's kernel
# names cannot capture the program's.
US_FAKE_CPPFLAGS := -Iinclude/uapi -Iinclude -DKBUILD_MODNAME='"cmap"'
US_FAKE_HDRS	:= kmod/cmap_ioctl.h kmod/cmap_uaccess.h kmod/cmap_bench.h \
		   include/uapi/linux/cmap.h include/uapi/linux/cmap_bench.h \
		   include/cmap_version.h

$(US)/fake/core/cmap_ioctl.o: kmod/cmap_ioctl.c $(US_FAKE_HDRS) $(US_HDRS)
	@mkdir -p $(@D)
	$(US_fake_CC) $(US_CPPFLAGS) $(US_FAKE_CPPFLAGS) $(US_CFLAGS) \
		$(US_fake_FLAGS) $(US_KWARN) -c -o $@ $<

$(US)/fake/fakecmap.o: user/fakecmap.c $(US_FAKE_HDRS) $(US_HDRS)
	@mkdir -p $(@D)
	$(US_fake_CC) $(US_CPPFLAGS) $(US_FAKE_CPPFLAGS) $(US_CFLAGS) \
		$(US_fake_FLAGS) $(US_WARN) -c -o $@ $<

$(US)/fake/libfakecmap.so: $(US)/fake/fakecmap.o $(US)/fake/core/cmap_ioctl.o \
			   $(US)/fake/libcmapcore.a
	$(US_fake_CC) -shared -o $@ $^ -Wl,--exclude-libs,ALL $(US_fake_LDFLAGS) \
		$(US_URCU_LIBS) -ldl

US_ALL := $(US_UNIT_BINS) $(US)/test/stress $(US)/tsan/stress \
	  $(US)/fuzz/fuzz_core $(US)/bench/bench $(US)/fake/libfakecmap.so

.PHONY: userspace unit stress fuzz bench-user fake
CHECK_DEPS += userspace

userspace: test-deps
	@$(MAKE) --no-print-directory $(US_ALL)

fake: $(US)/fake/libfakecmap.so

unit: userspace
	tests/host.d/20-core-unit

stress: userspace
	$(US)/tsan/stress -t $(STRESS_THREADS) -d $(STRESS_SECONDS) -k 4
	$(US)/test/stress -t $(STRESS_THREADS) -d $(STRESS_SECONDS) -k 10

fuzz: userspace
	@mkdir -p $(US)/fuzz/corpus $(US)/fuzz/artifacts
	$(US)/fuzz/fuzz_core -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(US)/fuzz/artifacts/ \
		$(US)/fuzz/corpus tests/fuzz/corpus-core

bench-user: userspace
	bench/user/run.sh $(US)/bench/bench $(US)/bench-results $(BENCH_ARGS)
