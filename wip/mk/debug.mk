# SPDX-License-Identifier: GPL-2.0
#
# Debug kernels (issue #8): lockdep, PROVE_RCU, KASAN, kmemleak, DEBUG_LIST,
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

.PHONY: debug-kernel kcsan-kernel check-debug check-kcsan

debug-kernel: deps
	@scripts/debug-kernel.sh debug

kcsan-kernel: deps
	@scripts/debug-kernel.sh kcsan

check-debug: deps user tests
	@tests/debug/check $(CMAP_DEBUG_ARGS) debug

check-kcsan: deps user tests
	@tests/debug/check $(CMAP_DEBUG_ARGS) kcsan
