#!/usr/bin/env python3
"""Markdown for bench/RESULTS.md from what bench/soak.sh collected in WORK.

Runs by status and records come from GET /metrics read at the end; run start times from
GET /syncs/{name}/runs; memory and CPU from soak_sample.py's samples. Scheduling delay: run
summaries carry started_at (ms) but not the slot they ran for. An "every" schedule's first slot
is the moment the service loaded the sync (its "Loaded sync" log line, the service running with
TZ=UTC) and each next slot is the previous one plus the interval, so the delay of a start is its
distance past the latest slot anchor + k * interval. The service's own figure, the
backflow_schedule_lag_seconds histogram, is shown next to it.

  soak_report.py WORK SYNCS MINUTES ANCHOR_UNIX_S WARMUP_MIN SCHEDULES(comma list)
"""
import json
import os
import re
import sys
from datetime import datetime, timezone

work, syncs, minutes, anchor, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5])
schedules = sys.argv[6].split(",")


def seconds_of(text):
    return {"s": 1, "m": 60, "h": 3600}[text[-1]] * float(text[:-1])


def interval_of(i):  # the same rule as soak.sh
    return seconds_of(schedules[((i - 1) // 2) % len(schedules)])


def iso_seconds(iso):
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def percentiles(values):
    if not values:
        return "none"
    return " / ".join(f"{pct(values, p):.3f}" for p in (50, 95, 99)) + f" / {max(values):.3f}"


runs_by_status, records, lag_buckets, lag = {}, {}, [], {}
for line in open(f"{work}/metrics"):
    m = re.match(r'backflow_runs_total\{sync="[^"]*",status="([^"]*)"\} (\S+)', line)
    if m:
        runs_by_status[m[1]] = runs_by_status.get(m[1], 0) + float(m[2])
    m = re.match(r'backflow_records_total\{sync="[^"]*",outcome="([^"]*)"\} (\S+)', line)
    if m:
        records[m[1]] = records.get(m[1], 0) + float(m[2])
    m = re.match(r'backflow_schedule_lag_seconds_bucket\{le="([^"]*)"\} (\S+)', line)
    if m:
        lag_buckets.append((m[1], float(m[2])))
    m = re.match(r'backflow_schedule_lag_seconds_(sum|count) (\S+)', line)
    if m:
        lag[m[1]] = float(m[2])

loaded = {}
delayed_lines = log_lines = 0
for line in open(f"{work}/serve.log"):
    log_lines += 1
    m = re.search(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}).*Loaded sync: sync=(\w+)', line)
    if m and m[2] not in loaded:
        loaded[m[2]] = iso_seconds(m[1] + "Z")
    delayed_lines += "Schedule slot delayed:" in line

slot_delays, per_sync, failed_runs = [], [], 0
for i in range(1, syncs + 1):
    base, every = loaded.get(f"soak_{i}", anchor), interval_of(i)
    runs = json.load(open(f"{work}/runs-{i}.json"))["runs"]
    failed_runs += sum(1 for r in runs if r.get("status") not in ("success", None))
    starts = sorted(iso_seconds(r["started_at"]) for r in runs if r.get("started_at"))
    per_sync.append(len(starts))
    for s in starts:
        k = max(0, int((s - base) // every))
        slot_delays.append(s - (base + every * k))
expected_slots = sum(int(minutes * 60 // interval_of(i)) + 1 for i in range(1, syncs + 1))

cols = ("t", "cpu", "rss", "anon", "file", "threads", "main_heap", "arenas", "arena_rss", "waiting",
        "oldest_wait", "running")
samples = [dict(zip(cols, map(float, l.split()))) for l in open(f"{work}/samples") if l.strip()]
mib = lambda kib: kib / 1024
after = [s for s in samples if s["t"] >= warmup * 60] or samples[-1:]


def slope(key):  # MiB per minute after warm-up, least squares
    xs, ys = [s["t"] / 60 for s in after], [mib(s[key]) for s in after]
    if len(xs) < 2:
        return float("nan")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


def span(key):
    v = [mib(s[key]) for s in after]
    return f"{min(v):.1f} to {max(v):.1f}, slope {slope(key):+.2f} MiB/min"


completed = sum(runs_by_status.values())
last = samples[-1]
state_mib = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(work + "/state")
                for f in fs) / 1048576
print(f"anchors from 'Loaded sync' log lines: {len(loaded)} of {syncs} syncs; warm-up: first "
      f"{warmup:g} min")
print()
print("| figure | value |")
print("|---|---|")
print(f"| runs finished (GET /metrics at the end) | {completed:.0f} ("
      f"{', '.join(f'{k} {v:.0f}' for k, v in sorted(runs_by_status.items()) if v)}); slots in the "
      f"window: {expected_slots} (the last races the end) |")
print(f"| runs started (GET /syncs/{{name}}/runs after /metrics) | {sum(per_sync)}; per sync min "
      f"{min(per_sync)}, max {max(per_sync)}; not success: {failed_runs} |")
print(f"| records (GET /metrics) | {', '.join(f'{k} {v:.0f}' for k, v in sorted(records.items()))} |")
print(f"| CPU seconds (user + system) | {last['cpu']:.1f} in {last['t']:.0f} s "
      f"({100 * last['cpu'] / max(last['t'], 1):.1f}% of one core) |")
print(f"| RSS MiB: first, max, last; after warm-up | {mib(samples[0]['rss']):.1f}, "
      f"{max(mib(s['rss']) for s in samples):.1f}, {mib(last['rss']):.1f}; {span('rss')} |")
print(f"| heap (RssAnon) MiB: first, max, last; after warm-up | {mib(samples[0]['anon']):.1f}, "
      f"{max(mib(s['anon']) for s in samples):.1f}, {mib(last['anon']):.1f}; {span('anon')} |")
print(f"| file-backed (RssFile: binary, libraries, LMDB map) MiB: first, last | "
      f"{mib(samples[0]['file']):.1f}, {mib(last['file']):.1f} |")
print(f"| malloc: main heap RSS MiB; arena heaps (count, RSS MiB), at the end | "
      f"{mib(last['main_heap']):.1f}; {last['arenas']:.0f}, {mib(last['arena_rss']):.1f} "
      f"(arena heaps at most {max(s['arenas'] for s in samples):.0f}) |")
print(f"| threads: at the end, max | {last['threads']:.0f}, {max(s['threads'] for s in samples):.0f} |")
print(f"| state directory at the end | {state_mib:.1f} MiB |")
print(f"| delay from the slot, s (from run summaries): p50 / p95 / p99 / max | "
      f"{percentiles(slot_delays)} ({len(slot_delays)} runs) |")
if lag_buckets and lag.get("count"):
    cum = ", ".join(f"≤{le} {v / lag['count'] * 100:.0f}%" for le, v in lag_buckets if le != "+Inf")
    print(f"| backflow_schedule_lag_seconds: count, mean s, share per bucket | {lag['count']:.0f}, "
          f"{lag['sum'] / lag['count']:.3f}; {cum} |")
waits = [s["waiting"] for s in samples if s["waiting"] == s["waiting"]]
oldest = [s["oldest_wait"] for s in samples if s["oldest_wait"] == s["oldest_wait"]]
if waits:
    print(f"| sampled every {samples[1]['t'] - samples[0]['t'] if len(samples) > 1 else 0:.0f} s: "
          f"backflow_syncs_due_waiting max, backflow_schedule_oldest_wait_seconds max | "
          f"{max(waits):.0f}, {max(oldest):.1f} |")
print(f"| log lines; of which 'Schedule slot delayed' | {log_lines}; {delayed_lines} |")
print()
per_minute = {}
for s in samples:
    per_minute.setdefault(int(s["t"] // 60), s)
rows = sorted(per_minute.items())
print("RSS MiB per minute: " + " ".join(f"{mib(s['rss']):.1f}" for _, s in rows))
print()
print("heap (RssAnon) MiB per minute: " + " ".join(f"{mib(s['anon']):.1f}" for _, s in rows))
print()
print("arena heaps per minute: " + " ".join(f"{s['arenas']:.0f}" for _, s in rows))
print()
print("CPU s at each minute: " + " ".join(f"{s['cpu']:.1f}" for _, s in rows))
