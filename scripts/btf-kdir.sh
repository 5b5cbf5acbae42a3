#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/btf-kdir.sh: make cmap.ko get its own BTF (needed by BPF fentry
# programs such as mapstat's) even when the kernel build tree has no vmlinux.
#
#   scripts/btf-kdir.sh [--make-args] KDIR [KVER]
#
# Prints the kernel build directory to build the module against, and with
# --make-args the whole make argument list ("-C DIR [RESOLVE_BTFIDS=/bin/true]").
# Kbuild generates a module's BTF only when the build directory holds a
# `vmlinux` (the BTF base) and pahole is installed.  Distribution header
# packages ship no vmlinux, so:
#   - KDIR/vmlinux exists (a full build tree, a debug kernel): KDIR as is.
#   - otherwise a private symlink farm build/kdir/KVER mirrors KDIR, with a
#     `vmlinux` that is either /sys/kernel/btf/vmlinux (KVER is the running
#     kernel) or the ELF extracted from /boot/vmlinuz-KVER (it keeps .BTF).
#     The system's build tree is never written to.
# RESOLVE_BTFIDS=/bin/true is added when the tree lacks resolve_btfids (the
# headers packages do; only code using BTF_ID needs it, cmap does not).
# Anything missing (pahole, CONFIG_DEBUG_INFO_BTF_MODULES, a readable
# kernel image) makes it print KDIR unchanged with a note on stderr: the
# module then builds without BTF and BPF tools fall back to kprobes.
# It never fails.
set -u

me=btf-kdir.sh
args=0
if [ "${1:-}" = --make-args ]; then
	args=1
	shift
fi
kdir=${1:?usage: $me [--make-args] KDIR [KVER]}
kver=${2:-${KVER:-}}
top=$(cd "$(dirname "$0")/.." && pwd -P)

note() { echo "$me: $*" >&2; }

emit() {	# emit DIR [BTFIDS_MISSING]
	if [ "$args" = 1 ]; then
		if [ "${2:-0}" = 1 ]; then
			echo "-C $1 RESOLVE_BTFIDS=/bin/true"
		else
			echo "-C $1"
		fi
	else
		echo "$1"
	fi
	exit 0
}

# resolve_btfids in the tree?  (`make` looks for it there.)
btfids_missing() {
	[ -x "$1/tools/bpf/resolve_btfids/resolve_btfids" ] && return 1
	return 0
}

[ -d "$kdir" ] || { note "$kdir: no such directory"; emit "$kdir"; }
kdir=$(cd "$kdir" && pwd)
if [ -z "$kver" ]; then
	kver=$(sed -n 's/^UTS_RELEASE "\(.*\)"$/\1/p;s/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$kdir/include/generated/utsrelease.h" 2>/dev/null)
fi

if [ -e "$kdir/vmlinux" ]; then
	btfids_missing "$kdir" && emit "$kdir" 1
	emit "$kdir"
fi
if ! grep -qx 'CONFIG_DEBUG_INFO_BTF_MODULES=y' "$kdir/.config" 2>/dev/null; then
	note "$kdir: kernel without CONFIG_DEBUG_INFO_BTF_MODULES; cmap.ko gets no BTF"
	emit "$kdir"
fi
if ! command -v pahole >/dev/null 2>&1; then
	note "pahole not found (package dwarves); cmap.ko gets no BTF"
	emit "$kdir"
fi
[ -n "$kver" ] || { note "cannot tell the kernel release of $kdir"; emit "$kdir"; }

farm=$top/build/kdir/$kver

# The BTF base: the running kernel's own BTF, or the image's ELF.
src=
if [ "$kver" = "$(uname -r)" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	src=/sys/kernel/btf/vmlinux
	stamp="sysfs"
else
	img=/boot/vmlinuz-$kver
	[ -r "$img" ] || { note "no $img to take the BTF base from; cmap.ko gets no BTF"; emit "$kdir"; }
	stamp="$(stat -L -c '%s-%Y' "$img")"
fi

mkdir -p "$farm" 2>/dev/null || { note "cannot create $farm"; emit "$kdir"; }
# Mirror the build tree (the entries themselves are never written to).
for e in "$kdir"/* "$kdir"/.[!.]*; do
	[ -e "$e" ] || [ -L "$e" ] || continue
	n=${e##*/}
	[ "$n" = vmlinux ] && continue
	[ "$(readlink "$farm/$n" 2>/dev/null)" = "$e" ] || ln -sfn "$e" "$farm/$n"
done
# Drop links to entries that went away.
for e in "$farm"/* "$farm"/.[!.]*; do
	[ -L "$e" ] || continue
	n=${e##*/}
	[ "$n" = vmlinux ] && continue
	[ -e "$e" ] || rm -f "$e"
done

if [ "$(cat "$farm/.vmlinux.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$farm/vmlinux" ]; then
	rm -f "$farm/vmlinux" "$farm/.vmlinux.stamp"
	if [ -n "$src" ]; then
		ln -s "$src" "$farm/vmlinux"
	else
		# bzImage: the payload sits at (setup_sects + 1) * 512 +
		# payload_offset; its last 4 bytes are the uncompressed size.
		ss=$(od -An -tu1 -j497 -N1 "$img" | tr -d ' ')
		[ "$ss" = 0 ] && ss=4
		poff=$(od -An -tu4 -j584 -N4 "$img" | tr -d ' ')
		plen=$(od -An -tu4 -j588 -N4 "$img" | tr -d ' ')
		start=$(((ss + 1) * 512 + poff))
		case $(od -An -tx1 -j"$start" -N4 "$img" | tr -d ' ') in
		fd377a58) unz="xz -dc" ;;
		1f8b*) unz="gzip -dc" ;;
		28b52ffd) unz="zstd -qdc" ;;
		02214c18) unz="lz4 -dc" ;;
		*) unz= ;;
		esac
		if [ -z "$unz" ] || ! command -v "${unz%% *}" >/dev/null 2>&1; then
			note "cannot decompress $img; cmap.ko gets no BTF"
			emit "$kdir"
		fi
		tmp=$farm/.vmlinux.tmp.$$
		# (tail dies of SIGPIPE: judge by the result)
		tail -c +$((start + 1)) "$img" | head -c $((plen - 4)) |
			$unz >"$tmp" 2>/dev/null
		if [ "$(od -An -tx1 -N4 "$tmp" | tr -d ' ')" != 7f454c46 ] ||
		   ! LC_ALL=C readelf -S -W "$tmp" 2>/dev/null | grep -q ' \.BTF '; then
			rm -f "$tmp"
			note "no ELF with .BTF in $img; cmap.ko gets no BTF"
			emit "$kdir"
		fi
		mv "$tmp" "$farm/vmlinux"
	fi
	echo "$stamp" >"$farm/.vmlinux.stamp"
fi
if btfids_missing "$kdir" || [ -n "$src" ]; then
	emit "$farm" 1
fi
emit "$farm"
