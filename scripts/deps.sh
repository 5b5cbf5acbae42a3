#!/bin/sh
# Installs the Debian/Ubuntu packages cmap needs, if any are missing.
# The lists are scripts/deps.d/*.list: one package per line, "vm:" before
# those only the QEMU harness needs, "rt:" before those only the PREEMPT_RT
# runs need (make check KERNEL=rt), "debug:" before those only building the
# debug kernels needs (make check-debug), "6.12:" and "6.12-rt:" before
# those only the runs on Debian's 6.12 kernels need (make check KERNEL=6.12,
# KERNEL=6.12-rt), "#" comments.
#   scripts/deps.sh [vm] [rt] [debug] [6.12] [6.12-rt]
#        ("vm": include the vm: packages; the default on a machine whose
#        running kernel has no build tree; "rt", "debug", "6.12",
#        "6.12-rt": include those)
set -e
here=$(dirname "$0")
vm= rt= debug= k612= k612rt=
for a in "$@"; do
	case $a in
	vm) vm=vm ;;
	rt) rt=rt ;;
	debug) debug=debug ;;
	6.12) k612=1 ;;
	6.12-rt) k612rt=1 ;;
	esac
done
[ -d "/lib/modules/$(uname -r)/build" ] || vm=vm
pkgs=$(sed -e 's/#.*//' "$here"/deps.d/*.list | while read -r p; do
	case "$p" in
	"") ;;
	vm:*) [ "$vm" = vm ] && echo "${p#vm:}" ;;
	rt:*) [ "$rt" = rt ] && echo "${p#rt:}" ;;
	debug:*) [ "$debug" = debug ] && echo "${p#debug:}" ;;
	6.12:*) [ -n "$k612" ] && echo "${p#6.12:}" ;;
	6.12-rt:*) [ -n "$k612rt" ] && echo "${p#6.12-rt:}" ;;
	*) echo "$p" ;;
	esac
done | sort -u)
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
