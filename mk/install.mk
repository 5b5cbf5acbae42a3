# SPDX-License-Identifier: GPL-2.0
#
# Installing cmap like a module: the tools, the header, man pages, the udev
# rule; the module directly or through DKMS; Debian packages.
#
#   make install       the tools to $(PREFIX)/sbin, <linux/cmap*.h> to
#                      $(PREFIX)/include, man pages, the udev rule
#                      60-cmap.rules; with DESTDIR empty also cmap.ko for
#                      KVER (modules_install into /lib/modules/KVER/extra/kmod,
#                      depmod; INSTALL_MOD_PATH stages it) and the system
#                      group cmap (groupadd)
#   make uninstall     removes all of it (not the group)
#   make install-dkms  the module's sources and dkms.conf to
#                      $(DESTDIR)/usr/src/cmap-VERSION (then, as root:
#                      dkms install cmap/VERSION)
#   make deb           build/deb/cmap-dkms_*.deb and cmap-tools_*.deb
#                      (debian/, dpkg-buildpackage in a copy of the tree)
#
# PREFIX defaults to /usr/local; DESTDIR stages into a tree.  The udev rule
# goes to /etc/udev/rules.d, or /lib/udev/rules.d with PREFIX=/usr (the
# package); UDEVRULESDIR overrides.  The packages create the group in
# cmap-tools' postinst; `make install` creates it only when DESTDIR is empty.

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
UDEVRULESDIR	?= $(if $(filter /usr,$(PREFIX)),/lib/udev/rules.d,/etc/udev/rules.d)
INSTALL_MOD_DIR	?= extra
INSTALL		?= install
CMAP_VERSION	?= $(shell sed -n 's/^\#define CMAP_VERSION_[A-Z]*[[:space:]]*\([0-9]*\)$$/\1/p' \
			include/cmap_version.h | paste -sd.)
DEB_VERSION	= $(shell sed -n '1{s/^[^(]*.//;s/[)].*//;p;}' debian/changelog)
DKMS_SRCDIR	= /usr/src/cmap-$(CMAP_VERSION)

CMAP_TOOLS	:= cmapctl mapstat racetrace
# The UAPI: the table ABI and the benchmark's
CMAP_UAPI	:= include/uapi/linux/cmap.h include/uapi/linux/cmap_bench.h
CMAP_MANS	:= $(notdir $(wildcard docs/man/*.8))
# What DKMS builds: the top Kbuild (obj-m += kmod/), kmod/ without the
# test-only planted bugs, the UAPI header.
DKMS_FILES	:= Kbuild kmod/Kbuild $(CMAP_UAPI) include/cmap_version.h \
		   $(filter-out kmod/cmap_plant.c,$(wildcard kmod/*.c kmod/*.h))

.PHONY: tools install install-tools install-module install-group \
	uninstall install-dkms uninstall-dkms deb

# The user-facing programs (no test helpers).
tools: user mapstat racetrace

install: install-tools $(if $(DESTDIR),,install-module install-group)

install-tools: tools
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UDEVRULESDIR)
	$(INSTALL) -m 0755 $(addprefix user/,$(CMAP_TOOLS)) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 $(CMAP_UAPI) $(DESTDIR)$(INCLUDEDIR)/linux/
	$(INSTALL) -m 0644 $(addprefix docs/man/,$(CMAP_MANS)) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 udev/60-cmap.rules $(DESTDIR)$(UDEVRULESDIR)/60-cmap.rules

install-module: module
	+$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KVER)

install-group:
	getent group cmap >/dev/null || groupadd --system cmap
	-@if [ -d /run/udev ] && command -v udevadm >/dev/null; then \
		udevadm control --reload-rules; \
		udevadm trigger --subsystem-match=misc --sysname-match=cmap; \
	fi

# Removes the files, then the directories install made that are left empty
# (below DESTDIR only: never a system directory).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(CMAP_TOOLS)) \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/linux/,$(notdir $(CMAP_UAPI))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(CMAP_MANS)) \
		$(DESTDIR)$(UDEVRULESDIR)/60-cmap.rules
	@[ -z "$(DESTDIR)" ] || for d in $(DESTDIR)$(SBINDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UDEVRULESDIR); do \
		while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != "$(patsubst %/,%,$(DESTDIR))" ] && \
			rmdir "$$d" 2>/dev/null; do d=$${d%/*}; done; \
	done
ifeq ($(DESTDIR),)
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/kmod/cmap.ko
	-depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KVER)
endif

install-dkms:
	@[ -n "$(CMAP_VERSION)" ] || { echo "cmap: no version (include/cmap_version.h)" >&2; exit 1; }
	for f in $(DKMS_FILES); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMS_SRCDIR)/$$f || exit 1; \
	done
	sed 's/#MODULE_VERSION#/$(CMAP_VERSION)/' dkms.conf >$(DESTDIR)$(DKMS_SRCDIR)/dkms.conf

uninstall-dkms:
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)

# The packages, built from a copy of the tree (dpkg-buildpackage cleans and
# writes its results next to the source directory).
DEB_OUT		:= build/deb
DEB_INPUTS	:= $(wildcard debian/* debian/source/* user/*.c user/*.h \
		     user/Makefile bpf/*.c bpf/Makefile kmod/* docs/man/*.8 \
		     udev/* scripts/deb.sh scripts/btf-kdir.sh scripts/deps.sh) \
		   Kbuild dkms.conf $(CMAP_UAPI) include/cmap_version.h \
		   Makefile mk/install.mk

deb: $(DEB_OUT)/.stamp

$(DEB_OUT)/.stamp: $(DEB_INPUTS)
	@[ "$(DEB_VERSION)" = "$(CMAP_VERSION)" ] || { echo "cmap: debian/changelog says $(DEB_VERSION), include/cmap_version.h $(CMAP_VERSION)" >&2; exit 1; }
	@scripts/deps.sh $(DEPS_MODE) deb
	@scripts/deb.sh $(DEB_OUT)
	@touch $@

# tests/host.d/80-install installs the packages and runs the demo from them.
CHECK_DEPS += deb
