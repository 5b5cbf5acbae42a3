#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of cmapctl's commands, messages and exit codes.
#
#   user/test_cmapctl.sh                 against the real /dev/cmap (cmap.ko
#                                        loaded; e.g. in tests/vm/run)
#   user/test_cmapctl.sh LIBFAKECMAP.SO  on any host, against the userspace
#                                        stand-in: the module's ioctl code
#                                        over tests/shim, with ASan
#                                        (tests/host.d/25-cmapctl)
#
# Uses tables named ctltest<pid>-*, destroyed again at the end.
set -u

here=$(cd "$(dirname "$0")" && pwd)
CMAPCTL=${CMAPCTL:-$here/cmapctl}

if [ $# -ge 1 ]; then
	state=$(mktemp /tmp/fakecmap.XXXXXX)
	preload=$1
	# A sanitized stand-in needs its sanitizer's runtime loaded first.
	# Leaks are its own check (it exits 99 on one), not LSan's: LSan
	# would report the tool's too.
	asan=$(ldd "$1" 2>/dev/null | awk '/libasan\.so/ { print $3; exit }')
	if [ -n "$asan" ]; then
		preload="$asan $1"
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
	fi
	export LD_PRELOAD=$preload FAKECMAP_STATE=$state
	trap 'rm -f "$state"' EXIT
	echo "# test_cmapctl: against the userspace stand-in ($preload)"
else
	[ -c /dev/cmap ] || { echo "test_cmapctl: no /dev/cmap (load cmap.ko)" >&2; exit 2; }
	echo "# test_cmapctl: against /dev/cmap"
fi

pfx=ctltest$$
t=$pfx-t
out=
err=
rc=

run() {
	last="cmapctl $*"
	out=$("$CMAPCTL" "$@" 2>/tmp/cmapctl.err.$$)
	rc=$?
	err=$(cat /tmp/cmapctl.err.$$)
	rm -f /tmp/cmapctl.err.$$
}

# TAP: each check is one "ok N - ..." / "not ok N - ..." line; ok without
# a description names the last command run
. "$here/../tests/lib/tap.sh"
pass() { ok "${1:-$last}"; }
bad() {
	not_ok "$*"
	echo "#   rc=$rc"
	echo "#   stdout: $(printf %s "$out" | head -5)"
	echo "#   stderr: $(printf %s "$err" | head -5)"
}

# expect RC OUT-REGEX ERR-REGEX -- ARGS...
expect() {
	local want_rc=$1 want_out=$2 want_err=$3
	shift 4
	run "$@"
	if [ "$rc" != "$want_rc" ]; then
		bad "cmapctl $* (exit $rc, wanted $want_rc)"
	elif [ -n "$want_out" ] && ! grep -Eq -- "$want_out" <<<"$out"; then
		bad "cmapctl $* (stdout does not match /$want_out/)"
	elif [ -n "$want_err" ] && ! grep -Eq -- "$want_err" <<<"$err"; then
		bad "cmapctl $* (stderr does not match /$want_err/)"
	else
		pass
	fi
}

cleanup() {
	"$CMAPCTL" destroy "$t" 2>/dev/null
	"$CMAPCTL" destroy "$pfx-b" 2>/dev/null
	"$CMAPCTL" destroy "$pfx-small" 2>/dev/null
	"$CMAPCTL" destroy "$pfx-inl" 2>/dev/null
	"$CMAPCTL" destroy "$pfx-q\"\\x" 2>/dev/null
}

# -- usage
expect 0 'Usage: cmapctl' '' -- --help
expect 0 'Usage: cmapctl put' '' -- put --help
expect 0 'Usage: cmapctl load' '' -- help load
expect 0 'Exit status: 0 success; 1 the key or table' '' -- --help
expect 2 '' "unknown command 'frob'" -- help frob
expect 2 '' 'no command given' --
expect 2 '' "unknown command 'frob'" -- frob
expect 2 '' 'missing argument' -- -t x put k
expect 2 '' 'too many arguments' -- ls extra
expect 2 '' '^cmapctl: put: no table given' -- put k v
expect 2 '' "invalid --threads" -- -t x load --threads 0
# numbers (cmap_arg_size/cmap_arg_double): suffixes on counts, never on ids
expect 2 '' "invalid --id '5k': not a number" -- stats --id 5k
expect 2 '' "invalid --keys '99999999999999999999': too big" -- -t x load --keys 99999999999999999999
expect 2 '' "invalid --keys '20000000T': too big" -- -t x load --keys 20000000T
expect 2 '' "invalid --duration 'nan': not a number" -- -t x load --duration nan
expect 2 '' "invalid --threads '2k': must be 1\.\." -- -t x load --threads 2k

# -- input validation, before any device access
long65=$(printf 'k%.0s' $(seq 65))
long64=$(printf 'k%.0s' $(seq 64))
expect 2 '' '^cmapctl: put: key too long \(max 64 bytes\)$' -- -t x put "$long65" v
expect 2 '' '^cmapctl: put: value too long \(max 4096 bytes\)$' -- -t x put k "$(printf 'v%.0s' $(seq 4097))"
expect 2 '' 'key is empty' -- -t x get ''
expect 2 '' 'name too long \(max 31 bytes\)' -- create 0123456789012345678901234567890123
expect 2 '' "must not contain '/'" -- create a/b
expect 2 '' 'bad hex key' -- -t x --hex get 0g
expect 2 '' 'bad hex key' -- -t x --hex get 012
expect 2 '' '/nonexistent not found: is cmap.ko loaded\?' -- -d /nonexistent ls

cleanup

# -- versions: the tool's, then the module's (CMAP_IOC_VERSION)
expect 0 '^cmapctl [0-9]' '' -- version
expect 0 '^cmap\.ko [0-9]+\.[0-9]+\.[0-9]+[^ ]* \(ABI 1\)$' '' -- version
expect 0 '^commands: create open destroy list put get delete clear batch iter stats( bench)? version$' '' -- version
expect 0 '^modes: rcu rwlock spinlock cow racecheck$' '' -- version
expect 0 '^create flags: inline$' '' -- version
expect 2 '' 'too many arguments' -- version extra

# -- tables
expect 0 '^[0-9]+$' '' -- create "$t"
id=$out
expect 2 '' "^cmapctl: create: table '$t' exists$" -- create "$t"
expect 0 "^ +$id +$t +rcu +0 " '' -- ls
expect 0 "\"name\": \"$t\"" '' -- ls --json
expect 1 '' "^cmapctl: get: no table named '$pfx-nope'$" -- -t "$pfx-nope" get k
expect 1 '' "no table named '$pfx-nope'" -- destroy "$pfx-nope"
expect 1 '' "no table named '$pfx-nope'" -- -t "$pfx-nope" stats
expect 1 '' "no table named '$pfx-nope'" -- -t "$pfx-nope" dump
expect 1 '' '^cmapctl: stats: no such table$' -- stats --id 4000000000

# -- put/get/del
expect 0 '' '' -- -t "$t" put hello world
expect 0 '^world$' '' -- -t "$t" get hello
expect 0 '^world$' '' -- get -t "$t" hello
expect 1 '' '^cmapctl: get: key not found$' -- -t "$t" get nope
expect 2 '' 'key exists' -- -t "$t" put --nx hello again
expect 0 '^world$' '' -- -t "$t" get hello
expect 0 '' '' -- -t "$t" put --xx hello again
expect 0 '^again$' '' -- -t "$t" get hello
expect 1 '' 'key not found' -- -t "$t" put --xx nope x
expect 0 '' '' -- -t "$t" put --nx new 1
expect 0 '' '' -- -t "$t" put "$long64" maxkey
expect 0 '^maxkey$' '' -- -t "$t" get "$long64"
expect 0 '' '' -- -t "$t" put empty ''
expect 0 '^$' '' -- -t "$t" get empty
big=$(printf 'v%.0s' $(seq 4096))
expect 0 '' '' -- -t "$t" put big "$big"
expect 0 "^$big\$" '' -- -t "$t" get big
expect 0 '' '' -- -t "$t" put -- dash -5
expect 0 '^-5$' '' -- -t "$t" get dash
# hex and u64
expect 0 '' '' -- -t "$t" --hex put 00ff 0x0102
expect 0 '^0102$' '' -- -t "$t" --hex get 00:ff
expect 0 '^0102$' '' -- -t "$t" get --hex 00ff
expect 0 '^616761696e$' '' -- -t "$t" --hex get 68656c6c6f
expect 0 '' '' -- -t "$t" --hex put 62696e 00ff0a
expect 0 '^0x00ff0a$' '' -- -t "$t" get bin
expect 0 '' '' -- -t "$t" --u64 put 42 answer
expect 0 '^616e73776572$' '' -- -t "$t" --hex get 2a00000000000000
expect 0 '^answer$' '' -- -t "$t" --u64 get 42
# a later run sees what an earlier one put
expect 0 '^again$' '' -- -t "$t" get hello

# -- dump
expect 0 $'^hello\tagain$' '^9 entries$' -- -t "$t" dump
expect 0 $'^0x00ff\t0x0102$' '' -- -t "$t" dump
expect 0 $'^00ff\t0102$' '' -- -t "$t" dump --hex
expect 0 $'^42\tanswer$' '' -- -t "$t" dump --u64
# a buffer too small for the 4096-byte value: ITER -ENOBUFS, the buffer grows
expect 0 $'^big\tvvvv' '^9 entries$' -- -t "$t" dump --buf-size 16
dump16=$(sort <<<"$out")
run -t "$t" dump
[ "$dump16" = "$(sort <<<"$out")" ] && pass || bad "dump --buf-size 16 differs from dump"
n=$(grep -c . <<<"$out")
[ "$n" = 9 ] && pass || bad "dump printed $n non-empty lines, wanted 9"

# -- stats
expect 0 '^entries: 9$' '' -- -t "$t" stats
expect 0 "^name: $t$" '' -- -t "$t" stats
expect 0 '^load_factor: [0-9]+\.[0-9]{3}$' '' -- -t "$t" stats
expect 0 '^mode: rcu$' '' -- -t "$t" stats
expect 0 '^entries: 9$' '' -- stats --id "$id"
expect 0 '"entries": 9' '' -- -t "$t" stats --json
if command -v python3 >/dev/null; then
	if python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out"; then ok "stats --json is JSON"; else bad "stats --json is not JSON"; fi
	run ls --json
	if python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out"; then ok "ls --json is JSON"; else bad "ls --json is not JSON"; fi
fi
# a name with a quote and a backslash comes back the same through --json
q="$pfx-q\"\\x"
expect 0 '^[0-9]+$' '' -- create "$q"
qid=$out
if command -v python3 >/dev/null; then
	# json_name ID WANT: the "name" of the table ID in ls or stats JSON
	json_name() {
		python3 -c '
import json, sys
d = json.load(sys.stdin)
d = [t for t in d if t["id"] == int(sys.argv[1])] if isinstance(d, list) else [d]
sys.exit(not (len(d) == 1 and d[0]["id"] == int(sys.argv[1]) and
	      d[0]["name"] == sys.argv[2] and isinstance(d[0]["entries"], int)))
' "$1" "$2"
	}
	run ls --json
	if json_name "$qid" "$q" <<<"$out"; then ok "ls --json: name with \" and \\ is escaped"
	else bad "ls --json: table $qid not named $q"; fi
	run -t "$q" stats --json
	if json_name "$qid" "$q" <<<"$out"; then ok "stats --json: name with \" and \\ is escaped"
	else bad "stats --json: table $qid not named $q"; fi
fi
expect 0 '' '' -- destroy "$q"

# -- del, clear
expect 0 '' '' -- -t "$t" del hello
expect 1 '' '^cmapctl: del: key not found$' -- -t "$t" del hello
expect 1 '' 'key not found' -- -t "$t" get hello
expect 0 '' '' -- -t "$t" clear
expect 0 '^$' '^0 entries$' -- -t "$t" dump
expect 0 '^entries: 0$' '' -- -t "$t" stats

# -- dump of many entries (several ITER calls)
expect 0 '' '' -- create "$pfx-b"
expect 0 '^ops: ' '' -- -t "$pfx-b" load --keys 20000 --value-size 100 --duration 0.3 --threads 2
expect 0 '' '^20000 entries$' -- -t "$pfx-b" dump --u64
n=$(cut -f1 <<<"$out" | sort -un | wc -l)
[ "$n" = 20000 ] && pass || bad "dump --u64 printed $n distinct keys, wanted 20000"
first=$(cut -f1 <<<"$out" | sort -n | head -1)
last=$(cut -f1 <<<"$out" | sort -n | tail -1)
[ "$first/$last" = 0/19999 ] && pass || bad "dump keys span $first..$last, wanted 0..19999"

# -- load variants
expect 0 '^value mismatches: 0$' '' -- -t "$pfx-b" load --keys 5000 --dist zipf --theta 0.9 --duration 0.5 --threads 3 --del-pct 10
expect 0 '^errors: 0$' '' -- -t "$pfx-b" load --keys 5000 --batch 64 --read-pct 50 --del-pct 20 --duration 0.5
expect 0 '^ops: 4000 ' '' -- -t "$pfx-b" load --no-preload --ops 1000 --threads 4 --seed 1 --duration 0
expect 0 '^  3: 1000 ops' '' -- -t "$pfx-b" load --no-preload --ops 1000 --threads 4 --batch 7 --duration 0
expect 0 '^gets: 0 ' '' -- -t "$pfx-b" load --no-preload --read-pct 0 --ops 100 --threads 1 --value-size 0
expect 2 '' 'more than 100' -- -t "$pfx-b" load --read-pct 60 --del-pct 50
expect 1 '' "thread 0: no table named|no table named '$pfx-nope'" -- -t "$pfx-nope" load --duration 0.1

# -- limits: ENOSPC
expect 0 '' '' -- create "$pfx-small" --max-entries 10
for i in 1 2 3 4 5 6 7 8 9 10; do "$CMAPCTL" -t "$pfx-small" put k$i v >/dev/null 2>&1; done
expect 2 '' "table '$pfx-small' is full" -- -t "$pfx-small" put k11 v
expect 2 '^  PUT ENOSPC: ' 'operations failed' -- -t "$pfx-small" load --keys 100 --duration 0.2 --threads 1
expect 0 '^max_entries: 10$' '' -- -t "$pfx-small" stats

# -- inline tables: keys and values of exactly 8 bytes
expect 0 '^[0-9]+$' '' -- create "$pfx-inl" --inline
expect 0 "^ +[0-9]+ +$pfx-inl +rcu\\+inline +0 " '' -- ls
expect 0 "\"inline\": true" '' -- ls --json
expect 0 '^inline: yes$' '' -- -t "$pfx-inl" stats
expect 0 '"inline": true' '' -- -t "$pfx-inl" stats --json
expect 0 '^inline: no$' '' -- -t "$pfx-b" stats
expect 0 '' '' -- -t "$pfx-inl" --u64 put 42 '8bytes!!'
expect 0 '^8bytes!!$' '' -- -t "$pfx-inl" --u64 get 42
expect 0 '' '' -- -t "$pfx-inl" --hex put 0102030405060708 00ff00ff00ff00ff
expect 0 '^00ff00ff00ff00ff$' '' -- -t "$pfx-inl" --hex get 01:02:03:04:05:06:07:08
expect 2 '' "^cmapctl: put: table '$pfx-inl' is inline: keys are exactly 8 bytes, this one is 3 " -- -t "$pfx-inl" put abc 12345678
expect 2 '' "^cmapctl: put: table '$pfx-inl' is inline: values are exactly 8 bytes, this one is 5$" -- -t "$pfx-inl" --u64 put 43 short
expect 2 '' "^cmapctl: get: table '$pfx-inl' is inline: keys are exactly 8 bytes" -- -t "$pfx-inl" get abc
expect 2 '' "^cmapctl: del: table '$pfx-inl' is inline: keys are exactly 8 bytes" -- -t "$pfx-inl" del abc
expect 0 '^entries: 2$' '' -- -t "$pfx-inl" stats
expect 0 $'^42\t8bytes!!$' '^2 entries$' -- -t "$pfx-inl" --u64 dump
expect 1 '' '^cmapctl: del: key not found$' -- -t "$pfx-inl" --u64 del 43
expect 2 '' "is inline: values are exactly 8 bytes \(use --value-size 8\)" -- -t "$pfx-inl" load --value-size 16 --duration 0.1
expect 0 '^value mismatches: 0$' '' -- -t "$pfx-inl" load --keys 2000 --duration 0.3 --del-pct 10
expect 0 '^errors: 0$' '' -- -t "$pfx-inl" load --keys 2000 --batch 32 --read-pct 50 --duration 0.3
expect 0 '' '' -- destroy "$pfx-inl"

# -- destroy
expect 0 '' '' -- destroy "$t"
expect 1 '' "no table named '$t'" -- -t "$t" get k
expect 0 '' '' -- -t "$pfx-b" destroy
expect 0 '' '' -- destroy "$pfx-small"
run ls
if grep -q "$pfx" <<<"$out"; then bad "tables left after destroy"; else ok "no tables left after destroy"; fi

echo "# test_cmapctl: $((tap_n - tap_failed)) passed, $tap_failed failed"
tap_done
