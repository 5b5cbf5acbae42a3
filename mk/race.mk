# SPDX-License-Identifier: GPL-2.0
#
# Racecheck mode: who collided, and Go's crash reproduced.
#
#   make racetrace      user/racetrace: racecheck detections with both
#                       threads' kernel and user stacks (bpf/race.bpf.c,
#                       contract user/race.h; built like mapstat's skeleton)
#   make race-demo      `cmapctl race-demo` in the test VM (also part of
#                       `make demo`): 10 writers and 5 readers on a
#                       racecheck table, then on an rcu table
#   make check-race     only tests/guest.d/70-racecheck (in the VM)
#
# cmapctl's race-demo (user/racedemo.c) starts racetrace from next to
# itself; without it, or without root, it reports the module's counters.

.PHONY: racetrace race-demo check-race

all: racetrace
CHECK_DEPS += racetrace

racetrace: deps
	$(MAKE) -C user racetrace

race-demo: module user racetrace
	@$(VMRUN) sh -c '[ -e /dev/cmap ] || { insmod kmod/cmap.ko && trap "rmmod cmap" EXIT; }; \
		user/cmapctl race-demo'

check-race: module user racetrace
	@$(VMRUN) tests/guest.d/70-racecheck
