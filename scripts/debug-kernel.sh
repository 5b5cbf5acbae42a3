#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/debug-kernel.sh: build (once) a small x86_64 debug kernel from
# Debian's linux-source package for the VM harness, and print its build
# directory (the KDIR to build the module against; the bzImage to boot is
# <dir>/arch/x86/boot/bzImage).
#
#   scripts/debug-kernel.sh [--path] VARIANT
#
# VARIANT: debug  tinyconfig + tests/vm/debug.config (lockdep, PROVE_RCU,
#                 KASAN, kmemleak, DEBUG_LIST, DEBUG_OBJECTS, FAILSLAB, ...)
#          kcsan  tinyconfig + tests/vm/debug.config + tests/vm/kcsan.config
#                 (KCSAN instead of KASAN)
# --path: print the directory it would use and exit 0 if it is built,
#         1 if not (builds nothing).
#
# The tree lives outside the repository, in
#   ${CMAP_KERNEL_CACHE:-/var/cache/cmap/kernels}/<source-version>-<variant>-<hash>/build
# where <hash> covers the fragments, this script's recipe and the compiler,
# so a second call costs nothing and any change to a fragment rebuilds.
# The source tarball (/usr/src/linux-source-*.tar.xz, the newest) is
# unpacked once into <cache>/src-<source-version>.  A build runs in
# <cache>/.<name>.tmp and is renamed into place only when complete; an
# interrupted build resumes there on the next call.  A clean build takes
# about 27 CPU-minutes (measured: 1463 s user + 150 s system; ~15 minutes
# of 2 idle cores, 69 minutes on a 2-core host at load 8) and 1.3 GB of
# disk, plus 1.4 GB of unpacked source (about a minute to unpack).
#
# Every option the fragments ask for must survive `make olddefconfig`:
# the script prints those that did not and fails.

set -u -o pipefail
me=scripts/debug-kernel.sh
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd -P)
# Bump when the build recipe below changes in a way that changes the tree.
recipe=1

die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }

pathonly=0
while [ $# -gt 0 ]; do
	case $1 in
	--path) pathonly=1; shift ;;
	-h|--help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# = 1 ] || die "usage: $me [--path] debug|kcsan"
variant=$1
case $variant in
debug) frags=("$top/tests/vm/debug.config") ;;
kcsan) frags=("$top/tests/vm/debug.config" "$top/tests/vm/kcsan.config") ;;
*) die "unknown variant '$variant' (debug or kcsan)" ;;
esac
for f in "${frags[@]}"; do [ -r "$f" ] || die "missing $f"; done

# ---------------------------------------------------------- the source
tarball=${CMAP_KERNEL_SOURCE:-}
if [ -z "$tarball" ]; then
	tarball=$(ls -1 /usr/src/linux-source-*.tar.xz /usr/src/linux-source-*.tar.bz2 \
		/usr/src/linux-source-*.tar.gz 2>/dev/null | sort -V | tail -n1)
fi
[ -n "$tarball" ] && [ -r "$tarball" ] ||
	die "no kernel source tarball in /usr/src; install it: apt-get install linux-source (or scripts/deps.sh vm debug)"
# The source version: the Debian package's version (it includes Debian's
# patch level), else the tarball's name, size and time.
srcver=
if pkg=$(dpkg-query -S "$tarball" 2>/dev/null | cut -d: -f1) && [ -n "$pkg" ]; then
	srcver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)
fi
if [ -z "$srcver" ]; then
	b=$(basename "$tarball"); b=${b#linux-source-}; b=${b%%.tar*}
	srcver=$b-$(stat -L -c '%s%Y' "$tarball" | sha256sum | cut -c1-8)
fi
srcver=${srcver//[^A-Za-z0-9.+_-]/_}

# The requested options, merged (later fragments win): SYMBOL=VALUE lines,
# "n" for "is not set".  The key hashes this list, not the files, so
# comments and moves between the fragments do not rebuild.
wanted=$(perl -e '
	my %v; my @order;
	for my $f (@ARGV) {
		open(my $F, "<", $f) or die "$f: $!";
		while (<$F>) {
			chomp;
			my ($s, $val);
			if (/^(CONFIG_[A-Za-z0-9_]+)=(.*)$/) { ($s, $val) = ($1, $2); }
			elsif (/^# (CONFIG_[A-Za-z0-9_]+) is not set$/) { ($s, $val) = ($1, "n"); }
			else { next; }
			push @order, $s unless exists $v{$s};
			$v{$s} = $val;
		}
	}
	print "$_=$v{$_}\n" for @order;
' "${frags[@]}") || die "cannot read the fragments"

# ------------------------------------------------------------ the key
cache=${CMAP_KERNEL_CACHE:-/var/cache/cmap/kernels}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	[ -n "${CMAP_KERNEL_CACHE:-}" ] && die "cannot write $cache"
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/cmap/kernels
	mkdir -p "$cache" || die "cannot create $cache"
fi
cc=${CC:-gcc}
hash=$( {
	echo "recipe $recipe $variant"
	echo "$wanted" | LC_ALL=C sort
	"$cc" --version 2>/dev/null | head -n1
	pahole --version 2>/dev/null
} | sha256sum | cut -c1-12)
name=$srcver-$variant-$hash
final=$cache/$name
if [ -f "$final/build/.cmap-complete" ]; then
	echo "$final/build"
	exit 0
fi
if [ "$pathonly" = 1 ]; then
	echo "$final/build"
	exit 1
fi

for t in make "$cc" flex bison bc pahole xz perl; do
	command -v "$t" >/dev/null ||
		die "$t not found; install the debug-kernel packages (scripts/deps.d/debug.list)"
done

# One builder per tree; a second caller waits for the first.
exec 9>"$cache/.$name.lock" || die "cannot create $cache/.$name.lock"
if ! flock -n 9; then
	say "another build of $name is running; waiting for it"
	flock 9 || die "flock failed"
fi
if [ -f "$final/build/.cmap-complete" ]; then
	echo "$final/build"
	exit 0
fi

src=$cache/src-$srcver
if [ ! -f "$src/Makefile" ]; then
	say "unpacking $tarball into $src (about 1 minute)"
	exec 8>"$cache/.src-$srcver.lock"
	flock 8
	if [ ! -f "$src/Makefile" ]; then
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp" || die "cannot create $src.tmp"
		tar -xf "$tarball" -C "$src.tmp" || { rm -rf "$src.tmp"; die "cannot unpack $tarball"; }
		d=$(find "$src.tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
		[ -f "$d/Makefile" ] || { rm -rf "$src.tmp"; die "$tarball holds no kernel tree"; }
		mv "$d" "$src" && rm -rf "$src.tmp" || die "cannot move the source into $src"
	fi
	exec 8>&-
fi

tmp=$cache/.$name.tmp
# Interrupted builds of this variant under another key are dead weight.
for d in "$cache"/.*-"$variant"-*.tmp; do
	[ -d "$d" ] && [ "$d" != "$tmp" ] || continue
	l=${d%.tmp}.lock
	( flock -n 8 || exit 1; rm -rf "$d"; rm -f "$l" ) 8>>"$l" &&
		say "removed the abandoned build $d"
done
obj=$tmp/build
log=$tmp/build.log
jobs=$(nproc 2>/dev/null || echo 2)
kmake() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }
t0=$(date +%s)
say "building the '$variant' kernel from linux-source $srcver"
say "  fragments: ${frags[*]#"$top/"}"
say "  into $final, make -j$jobs: about 27 CPU-minutes (~15 minutes on 2 idle"
say "  cores, an hour or more on a busy host); once per source version and fragment set"
say "  log: $log"

if [ ! -f "$obj/.cmap-configured" ]; then
	rm -rf "$tmp"
	mkdir -p "$obj" || die "cannot create $obj"
	want=$tmp/wanted.config
	echo "$wanted" >"$want"
	kmake tinyconfig >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "make tinyconfig failed"; }
	# Merge: drop each requested symbol's line, append the requested value,
	# as merge_config.sh does.
	perl -e '
		my %v; my @order;
		open(my $W, "<", $ARGV[0]) or die;
		while (<$W>) {
			chomp; my ($s, $val) = split /=/, $_, 2;
			$v{$s} = $val; push @order, $s;
		}
		open(my $C, "<", $ARGV[1]) or die;
		while (<$C>) {
			next if /^(CONFIG_[A-Za-z0-9_]+)=/ && exists $v{$1};
			next if /^# (CONFIG_[A-Za-z0-9_]+) is not set$/ && exists $v{$1};
			print;
		}
		for my $s (@order) {
			print $v{$s} eq "n" ? "# $s is not set\n" : "$s=$v{$s}\n";
		}
	' "$want" "$obj/.config" >"$obj/.config.merged" &&
		mv "$obj/.config.merged" "$obj/.config" || die "cannot merge the fragments"
	kmake olddefconfig >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "make olddefconfig failed"; }
	# Every requested value must have survived.
	lost=$(perl -e '
		my %c;
		open(my $C, "<", $ARGV[1]) or die;
		while (<$C>) { chomp; $c{$1} = $2 if /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/; }
		open(my $W, "<", $ARGV[0]) or die;
		while (<$W>) {
			chomp; my ($s, $val) = split /=/, $_, 2;
			my $got = $c{$s} // "n";
			print "  $s: asked for $val, got $got\n" if $got ne $val;
		}
	' "$want" "$obj/.config")
	if [ -n "$lost" ]; then
		echo "$me: these options did not survive olddefconfig (missing dependencies?):" >&2
		echo "$lost" >&2
		exit 1
	fi
	touch "$obj/.cmap-configured"
else
	say "  resuming an interrupted build"
fi

# vmlinux, bzImage and modules: the tree then builds out-of-tree modules,
# with BTF (it keeps vmlinux and resolve_btfids).
if ! kmake -j"$jobs" all >>"$log" 2>&1; then
	grep -E 'error|Error' "$log" | tail -n 20 >&2
	tail -n 20 "$log" >&2
	die "the kernel build failed; log: $log"
fi
for f in arch/x86/boot/bzImage vmlinux Module.symvers scripts/mod/modpost \
	include/config/kernel.release; do
	[ -s "$obj/$f" ] || die "the build produced no $f; log: $log"
done
if grep -qx 'CONFIG_DEBUG_INFO_BTF=y' "$obj/.config"; then
	# (no pipe into grep -q: with pipefail, readelf may die of SIGPIPE)
	readelf -S "$obj/vmlinux" >"$tmp/sections.txt" 2>&1
	grep -q '\.BTF' "$tmp/sections.txt" || die "vmlinux has no .BTF section; log: $log"
	[ -x "$obj/tools/bpf/resolve_btfids/resolve_btfids" ] ||
		die "the build produced no resolve_btfids; log: $log"
fi
{
	echo "variant=$variant"
	echo "source=$tarball"
	echo "source_version=$srcver"
	echo "kernelrelease=$(cat "$obj/include/config/kernel.release")"
	echo "fragments=${frags[*]#"$top/"}"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - t0))s"
} >"$tmp/info"
touch "$obj/.cmap-complete"
rm -rf "$final"
mv "$tmp" "$final" || die "cannot rename $tmp to $final"
say "built $final/build in $(($(date +%s) - t0))s (kernel $(cat "$final/build/include/config/kernel.release"))"

# Drop older trees of this variant (other source versions or fragments).
for d in "$cache"/*-"$variant"-*; do
	[ -d "$d" ] && [ "$d" != "$final" ] || continue
	[ -f "$d/build/.cmap-complete" ] || continue
	say "removing the outdated tree $d"
	rm -rf "$d"
	rm -f "$cache/.${d##*/}.lock"
done
echo "$final/build"
