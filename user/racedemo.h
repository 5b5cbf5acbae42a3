/* SPDX-License-Identifier: GPL-2.0 */
/*
 * racedemo: `cmapctl race-demo`, Go's concurrent map writes crash
 * reproduced on a racecheck table and then run clean on an rcu one
 * (user/racedemo.c).  cmapctl parses the global options (-d, -v) and hands
 * this command's own options to race_demo_parse().
 */
#ifndef RACEDEMO_H
#define RACEDEMO_H

#include <argp.h>
#include <stdbool.h>

extern const struct argp_option race_demo_opts[];
error_t race_demo_parse(int key, char *arg, struct argp_state *state);
int race_demo_run(const char *device, bool verbose);

#define RACE_DEMO_DOC \
	"Reproduce Go's \"fatal error: concurrent map writes\": 10 writer and " \
	"5 reader threads on one racecheck table, each detection printed with " \
	"both threads' stacks; then the same program on an rcu table, which " \
	"runs clean.\v" \
	"Each key belongs to one writer (key % writers): the race is on the " \
	"table, as Go's is on the map, and the table's final contents can be " \
	"checked exactly against the writes that succeeded. Stacks come from " \
	"racetrace (BPF, built next to cmapctl: make racetrace; needs root); " \
	"without it the detections are the module's counters only. Exit " \
	"status 1 if a check fails (races on the racecheck table are expected, " \
	"not failures).\n\n" \
	"Examples:\n" \
	"  cmapctl race-demo\n" \
	"  cmapctl race-demo --writers 1 --readers 5     # one writer: no write race\n" \
	"  cmapctl race-demo --duration 10 --keys 100 --show 1"

#endif /* RACEDEMO_H */
