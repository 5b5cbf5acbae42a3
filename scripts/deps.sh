#!/bin/sh
# Checks for, and installs, the Debian/Ubuntu packages cmap needs.
#
#   scripts/deps.sh [--check] [MARKER...]
#
# The lists are scripts/deps.d/*.list: one package per line, "#" comments.
# An unmarked line is needed to build the tools (`make`); a line
# "MARKER:package" only when MARKER is given:
#   test:   running the tests, the demo and the benchmarks (make check,
#           make demo, make bench, ...)
#   vm:     the QEMU harness (tests/vm/run) and the kernel it boots
#   rt:     the PREEMPT_RT kernel (make check KERNEL=rt, 6.1-rt)
#   6.12:   Debian 12's 6.12 kernel and headers (make check KERNEL=6.12)
#   6.12-rt: its PREEMPT_RT flavour (make check KERNEL=6.12-rt)
#   debug:  building the debug kernels (make check-debug)
# (any other MARKER selects its own lines the same way).  Building the
# module alone needs only the kernel headers and a compiler: `make module`
# does not call this script.
#
# Without --check the missing packages are installed with apt-get (as root;
# otherwise the apt-get line to run is printed and the exit status is 1).
# With --check nothing is installed: the missing packages are named and
# the exit status is 1.  On a system without dpkg/apt-get the needed
# packages are named (as Debian calls them) and the exit status is 0: the
# build then says what it cannot find.
set -e
here=$(dirname "$0")
check=0
markers=" "
for a in "$@"; do
	case $a in
	--check) check=1 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "deps.sh: unknown option $a" >&2; exit 2 ;;
	*) markers="$markers$a " ;;
	esac
done
pkgs=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$here"/deps.d/*.list | while read -r p; do
	case "$p" in
	"") ;;
	*:*)
		case "$markers" in
		*" ${p%%:*} "*) echo "${p#*:}" ;;
		esac ;;
	*) echo "$p" ;;
	esac
done | sort -u)
[ -n "$pkgs" ] || exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "cmap: not a Debian-like system (no dpkg-query): cannot check packages." >&2
	echo "cmap: needed (Debian names; install your distribution's equivalents):" >&2
	echo "cmap:  " $pkgs >&2
	exit 0
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$check" = 1 ]; then
	echo "cmap: missing packages:$missing" >&2
	echo "cmap: install them: sudo apt-get install$missing" >&2
	echo "cmap: (or, as root: scripts/deps.sh${markers% })" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "cmap: missing packages:$missing" >&2
	echo "cmap: no apt-get here to install them; install them by other means" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "cmap: missing packages:$missing" >&2
	echo "cmap: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "cmap: installing$missing (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq -o DPkg::Lock::Timeout=900 --no-install-recommends $missing >&2
