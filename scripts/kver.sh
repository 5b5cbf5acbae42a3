#!/bin/sh
# Prints the kernel release cmap.ko is built for and tested against:
# the running kernel when its build directory exists (a machine that loads
# modules), else the newest Debian kernel installed with headers and image
# (the one the QEMU harness boots).
set -e
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	uname -r
	exit 0
fi
for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
	v=$(basename "$(dirname "$d")")
	if [ -f "/boot/vmlinuz-$v" ]; then
		echo "$v"
		exit 0
	fi
done
echo "kver.sh: no kernel with headers found (install linux-image-amd64 linux-headers-amd64)" >&2
exit 1
