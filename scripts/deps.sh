#!/bin/sh
# Installs the Debian/Ubuntu packages cmap needs, if any are missing.
# Usage: scripts/deps.sh [vm]   ("vm": also what the QEMU harness needs)
set -e
pkgs="make gcc libc6-dev pkg-config libcmocka-dev kmod"
if [ -d "/lib/modules/$(uname -r)/build" ] && [ "$1" != vm ]; then
	:	# native: the running kernel's headers are there
else
	pkgs="$pkgs linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static cpio"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "cmap: missing packages:$missing" >&2
	echo "cmap: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "cmap: installing$missing (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends $missing >&2
