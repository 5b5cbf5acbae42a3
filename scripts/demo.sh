#!/bin/sh
# The demo: load cmap.ko, create a table, run a short contended load with
# cmapctl, print the table's stats, clean up.  Runs as root, in the VM
# (make demo) or natively (make demo NATIVE=1).
set -e
cd "$(dirname "$0")/.."
ctl=user/cmapctl
loaded=
if ! [ -e /dev/cmap ]; then
	insmod kmod/cmap.ko
	loaded=1
fi
cleanup() {
	$ctl destroy demo 2>/dev/null || true
	[ -n "$loaded" ] && rmmod cmap
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "cmapctl create demo"
$ctl create demo
step "a few single ops"
$ctl -t demo put hello world
$ctl -t demo get hello
$ctl -t demo put --nx hello again || true
step "cmapctl -t demo load --threads 2 --read-pct 90 --keys 100000 --dist zipf --duration 5"
$ctl -t demo load --threads 2 --read-pct 90 --keys 100000 --dist zipf --duration 5
step "cmapctl -t demo stats"
$ctl -t demo stats
step "cmapctl ls"
$ctl ls
step "cmapctl race-demo   (Go's concurrent map writes: 10 writers, 5 readers)"
$ctl race-demo --writers 10 --readers 5 --duration 3
