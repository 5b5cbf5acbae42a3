#!/bin/sh
# Prints the kernel release cmap.ko is built for and tested against:
# the running kernel when its build directory exists (a machine that loads
# modules), else the newest Debian kernel installed with headers and image
# (the one the QEMU harness boots).  PREEMPT_RT kernels (*-rt-*) are
# skipped: they are only chosen by `scripts/kver.sh rt` or with
# CMAP_KERNEL=rt in the environment, which print the newest installed rt
# kernel with headers (mk/rt.mk: make check KERNEL=rt exports CMAP_KERNEL=rt,
# so tests/vm/run boots that kernel too).
set -e
rt=${1:-${CMAP_KERNEL:-}}
if [ "$rt" != rt ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
	uname -r
	exit 0
fi
for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
	v=$(basename "$(dirname "$d")")
	case $v in
	*-rt-*|*-rt) [ "$rt" = rt ] || continue ;;
	*) [ "$rt" = rt ] && continue ;;
	esac
	if [ -f "/boot/vmlinuz-$v" ]; then
		echo "$v"
		exit 0
	fi
done
if [ "$rt" = rt ]; then
	echo "kver.sh: no PREEMPT_RT kernel with headers found (install linux-image-rt-amd64 linux-headers-rt-amd64: scripts/deps.sh vm rt)" >&2
	exit 1
fi
echo "kver.sh: no kernel with headers found (install linux-image-amd64 linux-headers-amd64)" >&2
exit 1
