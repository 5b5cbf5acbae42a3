# SPDX-License-Identifier: GPL-2.0
#
# Debug kernels: lockdep, PROVE_RCU, KASAN, kmemleak, DEBUG_LIST,
# DEBUG_OBJECTS, FAILSLAB; and a KCSAN variant.  Built once from Debian's
# linux-source into /var/cache/cmap/kernels (scripts/debug-kernel.sh).
#
#   make debug-kernel   build (or reuse) the debug kernel, print its KDIR
#   make kcsan-kernel   the same for the KCSAN kernel
#   make check-debug    the VM integration suite on the debug kernel, plus
#                       the planted bugs each detector must catch
#   make check-kcsan    the same on the KCSAN kernel
#   make module KDIR=$$(scripts/debug-kernel.sh debug)
#                       kmod/cmap.ko for the debug kernel
#
# check-debug/check-kcsan build their modules in build/debug/<variant>/ and
# leave kmod/cmap.ko alone.  Options: CMAP_DEBUG_ARGS (tests/debug/check
# --help), e.g. CMAP_DEBUG_ARGS=--suite-only.

CMAP_DEBUG_ARGS ?=

.PHONY: debug-deps debug-kernel kcsan-kernel check-debug check-kcsan

# linux-source and the kernel build tools (scripts/deps.d/debug.list).
debug-deps:
	@scripts/deps.sh test vm debug

debug-kernel: debug-deps
	@scripts/debug-kernel.sh debug

kcsan-kernel: debug-deps
	@scripts/debug-kernel.sh kcsan

# What the guest suites need (user/, tests/, mapstat, hardening, ...):
# make check's list, whatever mk/*.mk added to it, without the module for
# Debian's kernel and the host-only parts.  (In the recipe: expanded when
# every mk/*.mk has been read.)
DEBUG_CHECK_DEPS = $(sort $(filter-out all module userspace,$(CHECK_DEPS)) user tests)

check-debug: debug-deps
	+@$(MAKE) --no-print-directory $(DEBUG_CHECK_DEPS)
	@tests/debug/check $(CMAP_DEBUG_ARGS) debug

check-kcsan: debug-deps
	+@$(MAKE) --no-print-directory $(DEBUG_CHECK_DEPS)
	@tests/debug/check $(CMAP_DEBUG_ARGS) kcsan
