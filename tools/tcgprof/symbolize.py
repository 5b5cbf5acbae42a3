#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Attribute tcgprof's per-TB instruction counts to guest kernel functions.

  symbolize.py [--top N] [--minus TBS2 [--ops A,B]] [--blocks FUNC] TBS KALLSYMS...

TBS: the plugin's "vaddr insns execs" lines.  KALLSYMS: /proc/kallsyms
snapshots of the guest (later files win for an address given twice).  A TB
counts for the symbol whose range holds its start address.  --minus: a
second run's TBS (e.g. the same command doing less work) subtracted per
function (symbolized with --minus-syms files, each run's own kallsyms:
KASLR moves the kernel between boots); --ops A,B: operations done by the two runs, giving instructions
per operation of the difference.  --blocks FUNC: instead, the TBs that
start in FUNC, by offset (to read against objdump -d of the function).
"""
import argparse
import bisect
import signal
import sys


def load_syms(paths):
    syms = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) < 3 or p[1] not in "tTwW":
                    continue
                addr = int(p[0], 16)
                if addr == 0:
                    continue
                name = p[2] + (" " + p[3] if len(p) > 3 else "")
                syms[addr] = name
    addrs = sorted(syms)
    return addrs, [syms[a] for a in addrs]


def load_tbs(path):
    tbs = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 3:
                tbs.append((int(p[0], 16), int(p[1]), int(p[2])))
    return tbs


def per_function(tbs, addrs, names):
    funcs = {}
    for vaddr, insns, execs in tbs:
        if vaddr < 0xffff800000000000:
            name = "[user space]"
        else:
            i = bisect.bisect_right(addrs, vaddr) - 1
            name = names[i] if i >= 0 else "[kernel, no symbol]"
        f = funcs.setdefault(name, [0, 0])
        f[0] += insns
        f[1] += execs
    return funcs


def blocks(tbs, addrs, names, func, ops):
    rows = []
    for vaddr, insns, execs in tbs:
        i = bisect.bisect_right(addrs, vaddr) - 1
        if i >= 0 and names[i].split()[0] == func:
            rows.append((vaddr - addrs[i], insns, execs))
    if not rows:
        sys.exit("symbolize.py: no blocks ran in %s" % func)
    total = sum(r[1] for r in rows)
    print("%d instructions in %s" % (total, func))
    print("%8s %14s %7s %14s %6s%s" % ("offset", "instructions", "%", "execs",
                                      "insns", "  insns/op" if ops else ""))
    for off, insns, execs in sorted(rows):
        line = "%#8x %14d %6.2f%% %14d %6.1f" % (off, insns, 100.0 * insns / total,
                                               execs, insns / execs if execs else 0)
        if ops:
            line += "  %8.2f" % (insns / ops)
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--minus", metavar="TBS2")
    ap.add_argument("--ops", metavar="A[,B]")
    ap.add_argument("--minus-syms", metavar="KALLSYMS", action="append",
                    help="the --minus run's kallsyms (default: the run's)")
    ap.add_argument("--blocks", metavar="FUNC")
    ap.add_argument("tbs")
    ap.add_argument("kallsyms", nargs="+")
    a = ap.parse_args()
    addrs, names = load_syms(a.kallsyms)
    if not addrs:
        sys.exit("symbolize.py: no text symbols in %s (kallsyms read as non-root?)"
                 % " ".join(a.kallsyms))
    if a.blocks:
        ops = float(a.ops.split(",")[0]) if a.ops else None
        blocks(load_tbs(a.tbs), addrs, names, a.blocks, ops)
        return
    funcs = per_function(load_tbs(a.tbs), addrs, names)
    total = sum(f[0] for f in funcs.values())
    ops = None
    if a.ops:
        ops = [float(x) for x in a.ops.split(",")]
    if a.minus:
        baddrs, bnames = (load_syms(a.minus_syms) if a.minus_syms
                          else (addrs, names))
        base = per_function(load_tbs(a.minus), baddrs, bnames)
        btotal = sum(f[0] for f in base.values())
        print("run %d instructions, minus baseline %d: %d" % (total, btotal, total - btotal))
        for k, v in base.items():
            f = funcs.setdefault(k, [0, 0])
            f[0] -= v[0]
            f[1] -= v[1]
        total -= btotal
        if ops and len(ops) > 1:
            ops = [ops[0] - ops[1]]
    else:
        print("%d instructions" % total)
    if ops:
        print("%.0f operations: %.1f instructions per operation" % (ops[0], total / ops[0]))
    hdr = "%16s %7s %14s" % ("instructions", "%", "TB execs")
    if ops:
        hdr += " %10s" % "insns/op"
    print(hdr + "  function")
    for name, (ins, ex) in sorted(funcs.items(), key=lambda kv: -kv[1][0])[:a.top]:
        line = "%16d %6.2f%% %14d" % (ins, 100.0 * ins / total if total else 0, ex)
        if ops:
            line += " %10.1f" % (ins / ops[0])
        print(line + "  " + name)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    main()
