#!/usr/bin/env python3
"""Samples a running `backflow serve` for bench/soak.sh until its end time or the process exits.

Every SECONDS: elapsed s, CPU s (user + system, /proc/PID/stat), VmRSS, RssAnon and RssFile KiB
(/proc/PID/status), threads, malloc heaps from /proc/PID/smaps (the main heap's RSS, the number
of glibc arena heaps and their RSS, KiB), and the scheduler gauges of GET /metrics (syncs due and
waiting, the oldest wait in s, runs in progress). One line of space-separated numbers per sample.

glibc gives each arena but the main one its own 64 MiB-aligned mapping of 64 MiB (read-write as
far as it is used, PROT_NONE beyond), so arena heaps are counted as anonymous regions starting on
a 64 MiB boundary whose read-write part and PROT_NONE rest add up to 64 MiB.

  soak_sample.py PID API_URL START_UNIX_S END_UNIX_S SECONDS OUT_FILE
"""
import os
import re
import sys
import time
import urllib.request

HEAP_MAX = 64 << 20
GAUGES = ("backflow_syncs_due_waiting", "backflow_schedule_oldest_wait_seconds",
          "backflow_runs_in_progress")


def status_fields(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def heaps(pid):
    """(main heap RSS KiB, arena heap count, arena heaps' RSS KiB)."""
    regions = []  # (start, end, perms, path, rss_kib)
    header = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = header.match(line)
            if m:
                regions.append([int(m[1], 16), int(m[2], 16), m[3], m[4].strip(), 0])
            elif line.startswith("Rss:") and regions:
                regions[-1][4] = int(line.split()[1])
    main = sum(r[4] for r in regions if r[3] == "[heap]")
    count = rss = 0
    for i, (start, end, perms, path, kib) in enumerate(regions):
        if path or start % HEAP_MAX or not perms.startswith("rw"):
            continue
        size, more = end - start, kib
        if i + 1 < len(regions):
            nxt = regions[i + 1]
            if nxt[0] == end and nxt[2].startswith("---") and not nxt[3]:
                size = nxt[1] - start
        if size == HEAP_MAX:
            count += 1
            rss += more
    return main, count, rss


def gauges(api):
    try:
        with urllib.request.urlopen(api + "/metrics", timeout=20) as r:
            text = r.read().decode()
    except OSError:
        return [float("nan")] * len(GAUGES)
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in GAUGES:
            values[name] = float(value)
    return [values.get(g, float("nan")) for g in GAUGES]


def main():
    pid, api, start, end, every, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
        float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    with open(out, "a") as f:
        while True:
            try:
                s = status_fields(pid)
                cpu = cpu_seconds(pid)
                main_heap, arenas, arena_rss = heaps(pid)
            except OSError:
                return  # the service is gone
            g = gauges(api)
            now = time.time()
            f.write(f"{now - start:.0f} {cpu:.2f} {s['VmRSS']} {s['RssAnon']} {s['RssFile']} "
                    f"{s['Threads']} {main_heap} {arenas} {arena_rss} {g[0]:.0f} {g[1]:.3f} {g[2]:.0f}\n")
            f.flush()
            if now >= end:
                return
            time.sleep(max(0.0, min(every, end - time.time())))


if __name__ == "__main__":
    main()
