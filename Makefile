# SPDX-License-Identifier: GPL-2.0
#
# cmap: build the module, the tools and the tests; run them.
#
#   make            module + userspace tools
#   make check      all tests: host unit tests, then the VM integration suite
#   make demo       boot the VM, load the module, run a load, print stats
#   make vm-shell   interactive shell in the test VM (repo at the same path)
#
# KDIR selects the kernel build tree.  Default: the running kernel's when it
# has one (a machine that loads modules), else the Debian kernel the QEMU
# harness boots: the newest supported one installed, or KERNEL=6.1|6.12|rt|
# 6.1-rt|6.12-rt (mk/kernels.mk: module, BPF tools and VM boot all
# follow).  NATIVE=1 runs the integration tests and the demo on this machine
# (root, module loading) instead of in a VM.
#
# Each area adds its own targets in mk/<area>.mk; the list of everything
# `make check` must build first is CHECK_DEPS.

KVER	?= $(shell scripts/kver.sh)
KDIR	?= /lib/modules/$(KVER)/build
NATIVE	?=

export KVER KDIR

ifeq ($(NATIVE),1)
VMRUN	:=
else
VMRUN	:= tests/vm/run --
endif

CHECK_DEPS := all tests

.PHONY: all module user tests deps check demo vm-shell clean

all: module user

deps:
	@scripts/deps.sh $(if $(filter 1,$(NATIVE)),,vm)

# cmap.ko with its own BTF (for BPF fentry): scripts/btf-kdir.sh picks KDIR
# or a private mirror of it with a vmlinux; it falls back to plain KDIR.  A
# cmap.ko linked before BTF was possible is relinked (Kbuild would not).
module: deps
	+@args=$$(scripts/btf-kdir.sh --make-args "$(KDIR)" "$(KVER)"); \
	dir=$${args#-C }; dir=$${dir%% *}; \
	if [ -e "$$dir/vmlinux" ] && [ -f kmod/cmap.ko ] && \
	   ! LC_ALL=C readelf -S kmod/cmap.ko 2>/dev/null | grep -q ' \.BTF '; then \
		rm -f kmod/cmap.ko; \
	fi; \
	echo "$(MAKE) $$args M=$(CURDIR) W=1 modules"; \
	$(MAKE) $$args M=$(CURDIR) W=1 modules

user: deps
	$(MAKE) -C user all fake

tests: deps user
	$(MAKE) -C tests

include $(sort $(wildcard mk/*.mk))

check: $(CHECK_DEPS)
	@tests/run-all $(if $(filter 1,$(NATIVE)),--native)

demo: all
	@$(VMRUN) scripts/demo.sh

vm-shell: all
	@tests/vm/run --interactive

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C user clean
	$(MAKE) -C tests clean
	rm -rf build
