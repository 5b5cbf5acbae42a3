#!/bin/sh
# Prints the kernel release cmap.ko is built for and tested against.
#
#   scripts/kver.sh [SELECTOR]        (default SELECTOR: $CMAP_KERNEL)
#
# SELECTOR:
#   (empty)     the running kernel when its build directory exists (a
#               machine that loads modules), else the newest supported
#               non-rt Debian kernel installed with headers and image (the
#               one the QEMU harness boots);
#   rt          the newest PREEMPT_RT kernel installed with headers;
#   6.1, 6.12   the newest non-rt kernel of that series;
#   6.1-rt, 6.12-rt   the newest rt kernel of that series;
#   a release   exactly that release (e.g. 6.12.118+deb12-amd64).
# PREEMPT_RT kernels (*-rt-*, *-rt) are only chosen when asked for.
# Supported series: SUPPORTED below.  The release goes to stdout; errors
# name the packages to install.
set -e
SUPPORTED="6.1 6.12"
sel=${1-${CMAP_KERNEL:-}}

if [ -z "$sel" ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
	uname -r
	exit 0
fi

case $sel in
"")		series= flavour=std ;;
rt)		series= flavour=rt ;;
*-rt)		series=${sel%-rt} flavour=rt ;;
[0-9]*.[0-9]*.*) series= flavour=exact ;;
[0-9]*.[0-9]*)	series=$sel flavour=std ;;
*)		echo "kver.sh: unknown kernel selector '$sel' (rt, 6.1, 6.12, 6.1-rt, 6.12-rt or a release)" >&2
		exit 1 ;;
esac

if [ "$flavour" = exact ]; then
	if [ -d "/lib/modules/$sel/build" ]; then
		echo "$sel"
		exit 0
	fi
	echo "kver.sh: no headers for kernel $sel (install linux-headers-$sel)" >&2
	exit 1
fi

for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
	v=$(basename "$(dirname "$d")")
	case $v in
	*-rt-*|*-rt) [ "$flavour" = rt ] || continue ;;
	*) [ "$flavour" = rt ] && continue ;;
	esac
	# the series: 6.1.0-28-amd64 -> 6.1, 6.12.118+deb12-amd64 -> 6.12
	vs=$(echo "$v" | sed -n 's/^\([0-9]*\.[0-9]*\)[.-].*/\1/p')
	if [ -n "$series" ]; then
		[ "$vs" = "$series" ] || continue
	else
		case " $SUPPORTED " in
		*" $vs "*) ;;
		*) continue ;;
		esac
	fi
	if [ -f "/boot/vmlinuz-$v" ]; then
		echo "$v"
		exit 0
	fi
done

case $sel in
"")	want="linux-image-amd64 linux-headers-amd64" ;;
rt)	want="linux-image-rt-amd64 linux-headers-rt-amd64 (scripts/deps.sh vm rt)" ;;
6.1)	want="linux-image-amd64 linux-headers-amd64" ;;
6.1-rt)	want="linux-image-rt-amd64 linux-headers-rt-amd64" ;;
*-rt)	want="the linux-image-$series.*-rt-amd64 and linux-headers-$series.*-rt-amd64 packages" ;;
*)	want="the linux-image-$series.*-amd64 and linux-headers-$series.*-amd64 packages" ;;
esac
echo "kver.sh: no ${sel:-supported} kernel with image and headers found (supported: $SUPPORTED; install $want)" >&2
exit 1
