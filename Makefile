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

.PHONY: all module user tests deps test-deps check demo vm-shell clean

all: module user

# Packages (scripts/deps.sh, lists in scripts/deps.d/).  The goals that run
# things (check, demo, bench, ...) install what they miss; the build goals
# (`make`, `make user`, ...) only check and name what is missing, and
# `make module` needs nothing but the kernel headers and a compiler.
DEPS_INSTALL_GOALS := check check-% demo race-demo bench bench-% stress \
	fuzz fuzz-% unit static vm-shell deps test-deps deb
DEPS_MODE := $(if $(filter $(DEPS_INSTALL_GOALS),$(MAKECMDGOALS)),,--check)
DEPS_VM := $(if $(filter 1,$(NATIVE)),,vm)

# building the tools
deps:
	@scripts/deps.sh $(DEPS_MODE)

# running the tests and the demo (and the VM unless NATIVE=1)
test-deps:
	@scripts/deps.sh $(DEPS_MODE) test $(DEPS_VM)

# cmap.ko with its own BTF (for BPF fentry): scripts/btf-kdir.sh picks KDIR
# or a private mirror of it with a vmlinux; it falls back to plain KDIR.  A
# cmap.ko linked before BTF was possible is relinked (Kbuild would not).
# (The goals that install packages install the headers first.)
module: $(if $(DEPS_MODE),,test-deps)
	@[ -d "$(KDIR)" ] || { echo "cmap: no kernel build tree at '$(KDIR)': install the headers of the kernel to build for (linux-headers-$(or $(KVER),amd64)), or pass KDIR=" >&2; exit 1; }
	@command -v $(CC) >/dev/null || { echo "cmap: no C compiler ($(CC)): install gcc" >&2; exit 1; }
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

tests: test-deps user
	$(MAKE) -C tests

# The client library and the C tests' helper library, for the test
# programs mk/*.mk builds; the sub-makes decide when to rebuild them.
.PHONY: libcmap libcmaptest
user/.build/libcmap.a: libcmap ;
tests/.build/libcmaptest.a: libcmaptest ;
libcmap:
	+$(MAKE) --no-print-directory -C user lib
libcmaptest: libcmap
	+$(MAKE) --no-print-directory -C tests lib

include $(sort $(wildcard mk/*.mk))

check: $(CHECK_DEPS)
	@tests/run-all $(if $(filter 1,$(NATIVE)),--native)

demo: test-deps all
	@$(VMRUN) scripts/demo.sh

vm-shell: test-deps all
	@tests/vm/run --interactive

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C user clean
	$(MAKE) -C tests clean
	rm -rf build
