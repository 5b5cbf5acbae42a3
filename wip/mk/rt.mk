# SPDX-License-Identifier: GPL-2.0
#
# PREEMPT_RT (issue #7): the whole VM suite on Debian's rt kernel
# (linux-image-rt-amd64), where spinlock_t and rwlock_t are sleeping
# rt_mutex locks, RCU readers can be preempted and interrupts run in
# threads.
#
#   make check KERNEL=rt   `make check`, with the VM suite on the rt kernel
#   make check-rt          the same
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
# Guest scripts must load $CMAP_KO when it is set (tests/guest.d/*,
# tests/integration/run.sh).  As long as tests/integration/run.sh does not
# (it loads kmod/cmap.ko next to itself), rt-module also makes a shadow tree
# build/rt/shadow whose kmod/cmap.ko is the rt module and whose
# tests/integration/ links to the real one, and CMAP_INTEGRATION (read by
# tests/run-all) points at the shadow run.sh.

RT_DIR		:= build/rt/src
RT_KO		:= $(CURDIR)/$(RT_DIR)/kmod/cmap.ko
RT_SHADOW	:= $(CURDIR)/build/rt/shadow

.PHONY: rt-deps rt-module check-rt

rt-deps:
	@scripts/deps.sh vm rt

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
	$(MAKE) $$args M=$(CURDIR)/$(RT_DIR) W=1 modules || exit 1; \
	rm -rf $(RT_SHADOW) && mkdir -p $(RT_SHADOW)/kmod $(RT_SHADOW)/tests/integration && \
	ln -s $(RT_KO) $(RT_SHADOW)/kmod/cmap.ko && \
	for f in $(CURDIR)/tests/integration/*; do \
		ln -s "$$f" $(RT_SHADOW)/tests/integration/; \
	done

check-rt:
	@$(MAKE) --no-print-directory check KERNEL=rt

ifeq ($(KERNEL),rt)
KVER		:= $(shell scripts/kver.sh rt)
export CMAP_KERNEL := rt
export CMAP_KO	:= $(RT_KO)
CHECK_DEPS	:= $(filter-out all module,$(CHECK_DEPS)) user rt-module
ifeq ($(shell grep -q CMAP_KO tests/integration/run.sh 2>/dev/null && echo y),)
export CMAP_INTEGRATION := $(RT_SHADOW)/tests/integration/run.sh
endif
endif
