# SPDX-License-Identifier: GPL-2.0
#
# The kernels cmap runs on: Debian 12's 6.1 and 6.12, each also in its
# PREEMPT_RT flavour (spinlock_t and rwlock_t are sleeping rt_mutex locks,
# RCU readers can be preempted, interrupts run in threads).  KERNEL picks
# one for a whole run: the module, the BPF tools' vmlinux.h and the kernel
# the VM boots.
#
#   make check KERNEL=SEL   `make check`, with the VM suite on kernel SEL
#   make check-SEL          the same, VM steps only (tests/integration,
#                           tests/guest.d, and the installed packages'
#                           demo, tests/host.d/80-install);
#                           SEL: 6.1 6.12 rt 6.1-rt 6.12-rt
#   make kernel-module KERNEL=SEL
#                           cmap.ko for SEL in build/kernels/<release>/
#   make kernel-deps KERNEL=SEL
#                           install SEL's image and headers
#   make rt-module, rt-deps the same for KERNEL=rt
#
# SEL is any selector of scripts/kver.sh: 6.1, 6.12 (the newest installed
# release of that series), rt (the newest rt kernel), 6.1-rt, 6.12-rt, or
# an exact release such as 6.12.118+deb12-amd64.  Without KERNEL, the
# kernel is $CMAP_KERNEL's choice, by default the newest supported non-rt
# kernel installed (the running kernel on a machine that loads modules);
# the first build step says which ("cmap: building for ...").
#
# How it is wired, with KERNEL=SEL:
#  - KVER/KDIR name SEL's release; CMAP_KERNEL=SEL is exported, so
#    tests/vm/run (which asks scripts/kver.sh for its default kernel) boots
#    /boot/vmlinuz-<release>;
#  - the module is built from a copy of the sources in
#    build/kernels/<release>/src against that release's headers (with BTF,
#    scripts/btf-kdir.sh), and CMAP_KO (exported) points every guest script
#    at it; kmod/cmap.ko is left alone by `make check KERNEL=SEL`
#    (`make module KERNEL=SEL` builds both);
#  - scripts/deps.d/kernels.list and rt.list hold the packages, marked with
#    the selector ("6.12:", "6.12-rt:", "rt:"), installed only by
#    `scripts/deps.sh vm SEL` (6.1's are the base list's).
# Guest scripts load $CMAP_KO when it is set (tests/integration/run.sh,
# tests/guest.d/*, tests/hardening/lib.sh).

# The selectors with their own check-SEL target.
KERNEL_SELECTORS := 6.1 6.12 rt 6.1-rt 6.12-rt

.PHONY: kernel-note kernel-deps kernel-module rt-deps rt-module \
	$(addprefix check-,$(KERNEL_SELECTORS))

# scripts/deps.sh knows 6.1-rt as rt (Debian's default rt kernel).
kernel_deps_arg = $(if $(filter 6.1-rt,$(1)),rt,$(1))

# Once per make invocation (a phony prerequisite of the module builds and
# of check), on stderr: the kernel this run builds and tests for.
kernel_why = $(strip \
	$(if $(filter command line,$(origin KDIR)),KDIR=$(KDIR), \
	$(if $(KERNEL),KERNEL=$(KERNEL), \
	$(if $(CMAP_KERNEL),CMAP_KERNEL=$(CMAP_KERNEL), \
	$(if $(filter $(KVER),$(shell uname -r)),the running kernel, \
	newest supported)))))
kernel-note:
	@echo "cmap: building for $(KVER) ($(kernel_why); KERNEL=6.1|6.12|rt|6.12-rt to choose)" >&2

module check: kernel-note

# The per-kernel rules; $(1) is a selector.
define kernel_rules
check-$(1):
	+@$$(MAKE) --no-print-directory kernel-deps KERNEL=$(1)
	+@CMAP_TESTS='^tests/(integration|guest\.d)/|^tests/host\.d/80-install' \
	CMAP_TEST_LOGS=$$(CURDIR)/build/test-logs-$(1) \
		$$(MAKE) --no-print-directory check KERNEL=$(1)
endef
$(foreach k,$(KERNEL_SELECTORS),$(eval $(call kernel_rules,$(k))))

rt-deps:
	@scripts/deps.sh test vm rt

rt-module:
	+@$(MAKE) --no-print-directory kernel-module KERNEL=rt

ifneq ($(KERNEL),)
KVER		:= $(shell scripts/kver.sh $(KERNEL) 2>/dev/null)
ifeq ($(KVER),)
# (no kernel yet: kernel-deps installs it, kernel-module fails with
# kver.sh's message naming the packages)
KVER		:= none
endif
KERNEL_DIR	:= build/kernels/$(KVER)/src
export CMAP_KERNEL := $(KERNEL)
export CMAP_KO	:= $(CURDIR)/$(KERNEL_DIR)/kmod/cmap.ko
CHECK_DEPS	:= $(filter-out all module,$(CHECK_DEPS)) user kernel-module
module: kernel-module

kernel-deps:
	@scripts/deps.sh test vm $(call kernel_deps_arg,$(KERNEL))

# Copied with tar (mtimes kept), so Kbuild rebuilds only what changed.
# (check-SEL installs the kernel first, in a make of its own: KVER and
# CMAP_KO are computed when the makefiles are read.)
kernel-module: kernel-deps kernel-note
	+@kv=$$(scripts/kver.sh $(KERNEL)) || exit 1; \
	if [ "$$kv" != "$(KVER)" ]; then \
		echo "$@: $$kv was installed by this make: run it again" >&2; \
		exit 1; \
	fi; \
	dir=$(KERNEL_DIR); \
	mkdir -p $$dir && \
	tar -C $(CURDIR) --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='modules.order' \
		--exclude='Module.symvers' --exclude='*.a' --exclude='.tmp*' \
		-cf - Kbuild kmod include | tar -C $$dir -xf - || exit 1; \
	args=$$(scripts/btf-kdir.sh --make-args /lib/modules/$$kv/build $$kv); \
	echo "$(MAKE) $$args M=$(CURDIR)/$$dir W=1 modules"; \
	$(MAKE) $$args M=$(CURDIR)/$$dir W=1 modules
else
kernel-deps kernel-module:
	@echo "$@: say which kernel: make $@ KERNEL=6.1|6.12|rt|6.1-rt|6.12-rt" >&2; exit 2
endif
