#!/bin/sh
# Installs the Debian/Ubuntu packages cmap needs, if any are missing.
# The lists are scripts/deps.d/*.list: one package per line, "vm:" before
# those only the QEMU harness needs, "rt:" before those only the PREEMPT_RT
# runs need (make check KERNEL=rt), "debug:" before those only building the
# debug kernels needs (make check-debug), "#" comments.
#   scripts/deps.sh [vm] [rt] [debug]
#        ("vm": include the vm: packages; the default on a machine whose
#        running kernel has no build tree; "rt", "debug": include those)
set -e
here=$(dirname "$0")
vm= rt= debug=
for a in "$@"; do
	case $a in
	vm) vm=vm ;;
	rt) rt=rt ;;
	debug) debug=debug ;;
	esac
done
[ -d "/lib/modules/$(uname -r)/build" ] || vm=vm
pkgs=$(sed -e 's/#.*//' "$here"/deps.d/*.list | while read -r p; do
	case "$p" in
	"") ;;
	vm:*) [ "$vm" = vm ] && echo "${p#vm:}" ;;
	rt:*) [ "$rt" = rt ] && echo "${p#rt:}" ;;
	debug:*) [ "$debug" = debug ] && echo "${p#debug:}" ;;
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
