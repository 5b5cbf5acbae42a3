# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/lib/tap.sh: the TAP helpers of the shell test suites (sourced).
#
# Each result is one numbered line, "ok N - DESC" or "not ok N - DESC", as
# tests/run-all counts them; a skip is "ok N - DESC # SKIP REASON" and a
# known bug "not ok N - DESC # TODO" (neither counts as a failure).
#
#   ok DESC             a passed test
#   not_ok DESC         a failed test (notok: the same)
#   check DESC CMD...   ok or not_ok from CMD's exit status
#   skip DESC REASON    a skipped test
#   todo DESC           a known failure, reported but not counted
#   diag [FILE...]      FILEs (or stdin) as "# " comment lines
#   note MSG...         MSG as one "# " comment line
#   bail MSG...         "Bail out! MSG" and exit 1
#   plan                the trailing plan line "1..N"
#   tap_done            plan, then a status: 0 when nothing failed
#   tap_count FILE      "PASSED FAILED SKIPPED" of the TAP lines in FILE,
#                       results at the start of a line (\r: a VM console);
#                       "# SKIP" (cmocka prints "not ok N # SKIP") is
#                       neither passed nor failed, "not ok ... # TODO" is
#                       not a failure
#
# State: tap_n (results so far), tap_failed (failures so far).  A suite that
# already printed results some other way may add to both.

tap_n=${tap_n:-0}
tap_failed=${tap_failed:-0}

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
notok() { not_ok "$@"; }
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP ${2:-}"; }
todo() {
	tap_n=$((tap_n + 1))
	case $* in
	*"# TODO"*) echo "not ok $tap_n - $*" ;;
	*) echo "not ok $tap_n - $* # TODO" ;;
	esac
}
diag() { sed 's/^/# /' "$@"; }
note() { echo "# $*"; }
bail() { echo "Bail out! $*"; exit 1; }
plan() { echo "1..$tap_n"; }
tap_done() { plan; [ "$tap_failed" = 0 ]; }
tap_count() {
	awk '
		{ sub(/\r+$/, ""); l = tolower($0) }
		/^ok([ \t]|$)/ { if (l ~ /#[ \t]*skip/) s++; else p++ }
		/^not ok([ \t]|$)/ { if (l ~ /#[ \t]*todo/) p++; else if (l ~ /#[ \t]*skip/) s++; else f++ }
		END { print p + 0, f + 0, s + 0 }' "$1" 2>/dev/null || echo 0 0 0
}
