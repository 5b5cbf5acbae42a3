# SPDX-License-Identifier: GPL-2.0
#
# PREEMPT_RT (issue #7): the whole VM suite on Debian's rt kernel
# (linux-image-rt-amd64), where spinlock_t and rwlock_t are sleeping
# rt_mutex locks, RCU readers can be preempted and interrupts run in
# threads.
#
#   make check KERNEL=rt   `make check`, with the VM suite on the rt kernel
#   make check-rt          the same, VM steps only (CI runs this)
#   make rt-module         cmap.ko for the rt kernel, in build/rt/src/kmod/
#   make rt-deps           install linux-image-rt-amd64 and its headers
#
# How it is wired:
#  - scripts/deps.d/rt.list holds the packages, marked "rt:", installed only
#    by `scripts/deps.sh vm rt`;
#  - scripts/kver.sh skips rt kernels unless asked (`scripts/kver.sh rt`, or
#    CMAP_KERNEL=rt in the environment): with KERNEL=rt, KVER/KDIR name the
#    rt kernel and CMAP_KERNEL=rt is exported, so tests/vm/run (which asks
#    scripts/kver.sh for its default kernel) boots /boot/vmlinuz-<rt>;
#  - the module is built from a copy of the sources in build/rt/src against
#    the rt headers (with BTF, scripts/btf-kdir.sh), never into kmod/, and
#    CMAP_KO (exported) points every guest script at it; the `module`
#    target (kmod/cmap.ko) is not built by `make check KERNEL=rt`.
# Guest scripts load $CMAP_KO when it is set (tests/integration/run.sh,
# tests/guest.d/*, tests/hardening/lib.sh).

RT_DIR		:= build/rt/src
RT_KO		:= $(CURDIR)/$(RT_DIR)/kmod/cmap.ko

.PHONY: rt-deps rt-module check-rt

rt-deps:
	@scripts/deps.sh test vm rt

# Copied with tar (mtimes kept), so Kbuild rebuilds only what changed.
rt-module: rt-deps
	+@kv=$$(scripts/kver.sh rt) || exit 1; \
	mkdir -p $(RT_DIR) && \
	tar -C $(CURDIR) --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='modules.order' \
		--exclude='Module.symvers' --exclude='*.a' --exclude='.tmp*' \
		-cf - Kbuild kmod include | tar -C $(RT_DIR) -xf - || exit 1; \
	args=$$(scripts/btf-kdir.sh --make-args /lib/modules/$$kv/build $$kv); \
	echo "$(MAKE) $$args M=$(CURDIR)/$(RT_DIR) W=1 modules"; \
	$(MAKE) $$args M=$(CURDIR)/$(RT_DIR) W=1 modules || exit 1

# Only the VM steps (the host steps do not depend on the kernel).
check-rt:
	@CMAP_TESTS='^tests/(integration|guest\.d)/' \
	CMAP_TEST_LOGS=$(CURDIR)/build/test-logs-rt \
		$(MAKE) --no-print-directory check KERNEL=rt

ifeq ($(KERNEL),rt)
KVER		:= $(shell scripts/kver.sh rt)
export CMAP_KERNEL := rt
export CMAP_KO	:= $(RT_KO)
CHECK_DEPS	:= $(filter-out all module,$(CHECK_DEPS)) user rt-module
endif
