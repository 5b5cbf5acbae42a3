#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of mapstat's JSON output, for tests/guest.d/50-mapstat.

  check.py hot   MS_JSON BEFORE_STATS AFTER_STATS ATTACH HOT_KEY BUCKET
  check.py solo  MS_JSON BEFORE_STATS AFTER_STATS ATTACH
  check.py ctl   MS_JSON BEFORE_STATS AFTER_STATS ATTACH
  check.py nomod MS_JSON
  check.py notab MS_JSON
  check.py filter MS_JSON WANT OTHER OTHER_BEFORE OTHER_AFTER PID COMM
  check.py folded FOLDED MS_JSON WEIGHT

MS_JSON is mapstat --json -c output (one object per line; the last one
counts), *_STATS are `cmapctl stats --json` of the table around the load,
ATTACH the attach method expected: fentry when cmap.ko has BTF, else
kprobe (then bucket array sizes are unknown, and so are the module's
per-bucket counters).  filter: the output of mapstat -p PID and/or
--comm COMM ("-": not given) while table WANT was loaded by that process
and table OTHER by another: only WANT's contention is traced.
folded: FOLDED, written by the same mapstat as MS_JSON with
--folded-weight WEIGHT (contended or wait), has one frame per function
(no +0x offsets), each stack once, and weights adding up to the traced
total of that weight.  MS_TABLE=NAME picks that table out of an output
that has several (else the output must hold exactly one).
Prints one TAP-ish line per failed expectation and exits 1 if any failed.
"""
import json
import os
import sys

failed = 0


def same_count(bpf, mod_cont, mod_wait, missed):
    """BPF's contended count (and wait) equal the module's: exactly, or
    short by at most @missed kernel-reported recursion misses."""
    c, w = bpf["contended_total"], bpf["wait_ns_total"]
    expect(mod_cont - missed <= c <= mod_cont,
           f"BPF contended {c} == module {mod_cont}"
           + (f" (- up to {missed} recursion misses)" if missed else ""))
    if mod_wait is not None:
        expect(w == mod_wait if c == mod_cont else w < mod_wait,
               f"BPF wait {w} == module {mod_wait}")


def expect(cond, what):
    global failed
    if not cond:
        failed += 1
        print(f"#   FAILED: {what}")


def last_obj(path):
    lines = [l for l in open(path) if l.strip()]
    if not lines:
        print(f"#   {path}: no JSON output")
        sys.exit(1)
    return [json.loads(l) for l in lines][-1]


def table(obj):
    tabs = obj.get("tables", [])
    name = os.environ.get("MS_TABLE")
    if name:
        tabs = [t for t in tabs if t["name"] == name]
    if len(tabs) != 1:
        print(f"#   expected one table in the output, got {len(tabs)}")
        sys.exit(1)
    return tabs[0]


def stats(path):
    return json.load(open(path))


def check_folded(path, ms_json, weight):
    lines = [l.rstrip("\n") for l in open(path) if l.strip()]
    expect(lines, f"{path} has stacks")
    stacks, total = [], 0
    for l in lines:
        stack, _, w = l.rpartition(" ")
        if not stack or not w.isdigit() or " " in stack:
            expect(False, f"a folded line is 'frame;frame;... N': {l[:200]!r}")
            continue
        stacks.append(stack)
        total += int(w)
    off = [l for l in lines if "+0x" in l]
    expect(not off, f"no +0x offsets in frames ({len(off)} lines have some: {off[:1]})")
    dup = sorted({x for x in stacks if stacks.count(x) > 1})
    expect(not dup, f"identical stacks merged ({len(dup)} repeated: {dup[:1]})")
    o = last_obj(ms_json)
    key = "contended_total" if weight == "contended" else "wait_ns_total"
    traced = sum(t["bpf"][key] for t in o["tables"])
    d = o["dropped"]
    exact = not (d["record_map_full"] or d["no_entry_capture"] or d["task_storage_failed"])
    print(f"# {len(lines)} folded stacks, weight {weight} {total}, traced {traced}"
          f"{'' if exact else ' (some events without a record)'}")
    expect(total == traced if exact else 0 < total <= traced,
           f"folded weights ({total}) add up to the traced {key} ({traced})")


def check_filter(path, want, other, other_before, other_after, pid, comm):
    o = last_obj(path)
    tabs = {t["name"]: t for t in o.get("tables", [])}
    filt = {}
    if pid != "-":
        filt["pid"] = int(pid)
    if comm != "-":
        filt["comm"] = comm
    expect(o.get("filter") == filt, f"JSON says the filter: {o.get('filter')} == {filt}")
    expect(want in tabs and other in tabs, f"both tables listed: {sorted(tabs)}")
    if want not in tabs or other not in tabs:
        return
    w, x = tabs[want], tabs[other]
    print(f"# {want}: bpf {w['bpf']['contended_total']} contended;"
          f" {other}: bpf {x['bpf']['contended_total']}")
    expect(w["bpf"]["contended_total"] > 0,
           f"the filtered process's contention on {want} is traced"
           f" ({w['bpf']['contended_total']})")
    tasks = w["top_tasks"]
    expect(tasks, f"{want}: top tasks listed")
    for t in tasks:
        if "pid" in filt:
            expect(t["pid"] == filt["pid"], f"task {t['tid']} of pid {t['pid']} == {filt['pid']}")
        if "comm" in filt:
            expect(t["comm"] == filt["comm"], f"task {t['tid']} comm {t['comm']!r} == {filt['comm']!r}")
    for b in w["top_buckets"]:
        expect(b["hold_count"] == 0, f"no hold times under a filter ({b['hold_count']})")
    mod = stats(other_after)["lock_contended"] - stats(other_before)["lock_contended"]
    expect(mod > 0, f"the other process contended on {other} (module: {mod})")
    expect(x["bpf"]["contended_total"] == 0 and not x["top_tasks"],
           f"none of it traced ({x['bpf']['contended_total']}, tasks {x['top_tasks']})")


def main():
    mode = sys.argv[1]
    if mode == "nomod":
        o = last_obj(sys.argv[2])
        expect(o["tables"] == [], "no tables without the module")
        expect("not loaded" in o["status"], f"status says so: {o['status']!r}")
        expect(o["attach"] == "none", "nothing attached")
        return
    if mode == "notab":
        # the first interval, attached before any table existed
        lines = [l for l in open(sys.argv[2]) if l.strip()]
        o = json.loads(lines[0]) if lines else {}
        expect(o.get("tables") == [], f"no tables in the first interval: {o.get('tables')}")
        expect("no tables; waiting" in o.get("status", ""),
               f"status says it waits for one: {o.get('status')!r}")
        expect(o.get("attach") in ("fentry", "kprobe"), "attached meanwhile")
        return
    if mode == "folded":
        check_folded(*sys.argv[2:5])
        return
    if mode == "filter":
        check_filter(*sys.argv[2:9])
        return
    o = last_obj(sys.argv[2])
    t = table(o)
    before, after = stats(sys.argv[3]), stats(sys.argv[4])
    bpf = t["bpf"]
    mod_cont = after["lock_contended"] - before["lock_contended"]
    mod_wait = after["lock_wait_ns"] - before["lock_wait_ns"]
    mod_acq = after["lock_acquisitions"] - before["lock_acquisitions"]
    drops = o["dropped"]
    # On a preemptible kernel (PREEMPT_RT, or CONFIG_PREEMPT as in the debug
    # kernel) a BPF program runs with migration disabled but can be
    # preempted: another task entering the same fentry program on that CPU
    # meanwhile is a recursion miss (the kernel skips that run; mapstat
    # counts it, bpf_recursion_misses), and bpf_task_storage_get() can
    # find its per-CPU lock busy.  Such an event still counts in the
    # table's totals (the tracepoint program ran) but has no entry capture:
    # its key and bucket are unknown.  Per-bucket counts may miss exactly
    # that many, and each such loss must be one the kernel reported (a
    # recursion miss or a busy task storage), not a bug.  (Debian's
    # kernel, not preemptible, has none.)
    lossy = drops["no_entry_capture"] + drops["task_storage_failed"]
    for k in ("bucket_map_full", "record_map_full", "kernel_stack_failed"):
        expect(drops[k] == 0, f"dropped {k} = {drops[k]}")
    # A recursion miss of the tracepoint program itself loses the event:
    # BPF may count up to that many fewer than the module.
    missed = drops["bpf_recursion_misses"]
    if lossy or missed:
        print(f"# {lossy} contended acquisitions without entry capture,"
              f" {missed} recursion misses (preemptible kernel)")
    expect(drops["no_entry_capture"] <= missed + drops["task_storage_failed"],
           f"every event without entry capture ({drops['no_entry_capture']})"
           f" is a recursion miss ({missed}) or a busy task storage"
           f" ({drops['task_storage_failed']})")
    attach = sys.argv[5]
    btf = attach == "fentry"
    expect(o["attach"] == attach and o["module_btf"] == btf,
           f"attached with {attach} (got {o['attach']}, module BTF {o['module_btf']})")
    if mode == "ctl":
        # a 4-thread cmapctl load on a small table
        print(f"# module: {mod_cont} contended of {mod_acq};"
              f" bpf: {bpf['contended_total']} contended")
        expect(bpf["contended_total"] > 0,
               f"BPF saw contended acquisitions ({bpf['contended_total']})")
        same_count(bpf, mod_cont, None, missed)
        buckets = t["top_buckets"]
        expect(buckets, "top buckets listed")
        for b in buckets:
            # (an older array's index is inside that array; without
            # module BTF the array is unknown: the current one's size)
            size = b.get("array_buckets") or t["buckets"]
            expect(0 <= b["index"] < size,
                   f"bucket {b['index']} inside its array ({size} buckets)")
        st = t["top_stacks"]
        expect(st, "top stacks listed")
        expect(any(any("[cmap]" in f and "cmap_" in f for f in s["kernel"]) for s in st),
               "a stack has the module's functions ([cmap]) in its kernel frames")
        expect(any(any("(cmapctl)" in f and ("worker_main" in f or "run_" in f)
                       for f in s["user"]) for s in st),
               f"a stack has cmapctl's load functions in its user frames:"
               f" {st[0]['user'] if st else None}")
        return
    if mode == "solo":
        expect(mod_acq > 0, f"module counted acquisitions ({mod_acq})")
        expect(mod_cont == 0, f"module counted no contention ({mod_cont})")
        expect(bpf["contended_total"] == 0,
               f"BPF saw no contention ({bpf['contended_total']})")
        return
    hot, bucket = sys.argv[6], int(sys.argv[7])
    print(f"# module: {mod_cont} contended of {mod_acq}, wait {mod_wait} ns;"
          f" bpf: {bpf['contended_total']} contended, wait {bpf['wait_ns_total']} ns")
    expect(mod_cont > 100, f"the load contended ({mod_cont} > 100)")
    # BPF counts at the module's own tracepoint, with the module's wait:
    # equal, not just close (nothing else touched the table meanwhile).
    same_count(bpf, mod_cont, mod_wait, missed)
    keys, buckets = t["top_keys"], t["top_buckets"]
    expect(keys and keys[0]["key"] == hot,
           f"top key is {hot!r} (got {keys[0]['key'] if keys else None!r})")
    expect(keys and keys[0]["printable"], "hot key shown as text")
    expect(keys and keys[0]["bucket"] == bucket,
           f"top key's bucket {keys[0]['bucket'] if keys else None} == {bucket}")
    expect(buckets and buckets[0]["index"] == bucket,
           f"top bucket {buckets[0]['index'] if buckets else None} == {bucket}")
    if btf:
        expect(buckets and buckets[0]["current_array"] and
               buckets[0]["array_buckets"] == t["buckets"],
               "top bucket is in the current array")
    # Per bucket, against the bucket's own counter in the module.
    for b in buckets:
        if "module_contended_since_seen" in b:
            m, c = b["module_contended_since_seen"], b["contended_total"]
            expect(c <= m <= c + lossy + missed,
                   f"bucket {b['index']}: module {m} == bpf {c}"
                   + (f" (+ up to {lossy + missed} lost to recursion misses)"
                      if lossy + missed else ""))
    expect(sum(b["contended_total"] for b in buckets) <= bpf["contended_total"],
           "bucket sums within the table total")
    if btf:
        expect(buckets and buckets[0]["module_acquisitions"] >=
               buckets[0]["module_contended"] > 0, "per-bucket module counters read")
        expect(buckets and "module_contended_since_seen" in buckets[0],
               "top bucket compared with the module's own counter")
    p50, p99, mx = bpf["wait_p50_ns"], bpf["wait_p99_ns"], bpf["wait_max_ns_total"]
    expect(0 < p50 <= p99 <= mx, f"0 < p50 {p50} <= p99 {p99} <= max {mx}")
    hist = bpf["wait_hist_log2_ns_total"]
    expect(sum(hist) == bpf["contended_total"], "histogram counts every wait")
    tasks = t["top_tasks"]
    expect(tasks and tasks[0]["comm"] == "hotload", "top task is hotload")
    st = t["top_stacks"]
    expect(st and any("cmap_put_elem" in f for f in st[0]["kernel"]),
           "top stack has cmap_put_elem in its kernel frames")
    expect(st and any("hot_put" in f or "worker_main" in f for f in st[0]["user"]),
           f"top stack has hotload's frames in its user part: {st[0]['user'] if st else None}")


main()
sys.exit(1 if failed else 0)
