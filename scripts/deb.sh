#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/deb.sh OUTDIR: build the Debian packages (debian/) into OUTDIR:
# cmap-dkms_VERSION_all.deb and cmap-tools_VERSION_ARCH.deb.
#
# dpkg-buildpackage cleans its source tree and writes next to it, so it runs
# on a copy in OUTDIR/src/cmap-VERSION (the files git knows, tracked or
# not ignored; every file but build/ without git).  The tools' vmlinux.h is
# generated from the BTF of the kernel KVER names (scripts/kver.sh), as in
# a plain build; CO-RE makes the tools run on other kernels.
set -eu
out=${1:?usage: scripts/deb.sh OUTDIR}
top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
for t in dpkg-buildpackage dh dh_dkms fakeroot; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "deb.sh: $t not found: scripts/deps.sh deb (dpkg-dev, debhelper, dh-dkms, fakeroot)" >&2
		exit 1
	}
done
ver=$(dpkg-parsechangelog -S Version)
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
src=$out/src/cmap-$ver
rm -rf "$out/src"
mkdir -p "$src"
if [ -d .git ] || [ -f .git ]; then
	git ls-files -z -c -o --exclude-standard | xargs -0 tar -cf - | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude='*.o' --exclude='*.ko' -cf - . | tar -C "$src" -xf -
fi
# The BTF to generate vmlinux.h from: this tree's (it may be cached here).
KVER=${KVER:-$(scripts/kver.sh)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
if [ -z "${VMLINUX_BTF:-}" ]; then
	if [ "$KVER" = "$(uname -r)" ] && [ -r /sys/kernel/btf/vmlinux ]; then
		VMLINUX_BTF=/sys/kernel/btf/vmlinux
	else
		VMLINUX_BTF=$(scripts/btf-kdir.sh "$KDIR" "$KVER")/vmlinux
	fi
fi
export KVER KDIR VMLINUX_BTF
echo "deb.sh: dpkg-buildpackage -b -us -uc in $src (KVER $KVER)"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed; the whole log: $out/build.log" >&2
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out"/
rm -rf "$out/src"
ls -l "$out"/*.deb
