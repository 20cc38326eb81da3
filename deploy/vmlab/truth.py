#!/usr/bin/env python3
"""The VM lab's truth reference (issue 11): the guest clock's offset from the host's UTC through no virtio device.

    deploy/vmlab/truth.py RUN_DIR [--json OUT] [--summary LABEL]   (LABEL: one Markdown table row)

Inputs (written by scenarios/truth.*): RUN_DIR/truth-trace.log (QEMU's log trace backend with -msg timestamp=on:
one line per write to the isa-parallel data port, stamped with the host's realtime clock, microseconds),
RUN_DIR/out/truth-probe.txt (tools/truthprobe: per write the guest's CLOCK_REALTIME before (a) and after (b),
what the kernel and the ClockBound segment said), out/chronyc-tracking.csv (chrony runs), out/reference.jsonl and
out/served.jsonl (phcread probes of QEMU's built-in device and of our served device), out/result.json.

The truth. The host stamps the write at some instant between the guest's two reads, so with the guest clock's
offset theta = guest - host (constant over the few microseconds of one write) and the stamp H truncated to the
microsecond:  a - H - 1 us <= theta <= b - H.  Each second keeps its narrowest bracket; its midpoint is the
second's true offset and half its width the uncertainty (the stamp may lie anywhere inside: no assumption about
where). Nothing here depends on a virtio device or on the daemons.

Coverage. A bound B claims |theta| <= B. A second is a *certain violation* when the whole bracket lies outside
[-B, B] (theta_lo > B or theta_hi < -B); a *possible violation* when only part of it does. Bounds checked:
  virtsync / chrony: kernel esterror and maxerror (as read at that write; "maxerror as written" = the second's
  smallest reading, before the kernel's 500 us/s growth); virtsync: the ClockBound bound as published (= the
  metric virtsync_error_bound_seconds and `status` "bound") and the interval a ClockBound client computes at
  that instant (bound + max drift x age); chrony: |system time| + root dispersion + root delay / 2 from
  `chronyc -c tracking` (the ClockBound/chrony recipe), matched to the second.

Device bias. phcread's per-second fastest sample gives d = guest_mid - device; the device's error against the
truth is theta - d (how far the device's reading is from host UTC at the midpoint of its window). Its
uncertainty is the truth's (half the median bracket width, a systematic bound that averaging does not reduce).
"""
import bisect
import calendar
import json
import math
import os
import re
import sys

# 2026-12-07T01:04:55.579939Z parallel_ioport_write write [SW] addr 0x00 val 0x00  (data port only: addr 0).
# QEMU leaves the fraction out when it is zero (2026-12-07T01:06:11Z ...).
TRACE_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z?\s.*parallel_ioport_write.*?addr\s*0x0*0\s+val\s*0x([0-9a-fA-F]+)")
STAMP_QUANTUM_NS = 1000
INTERSECT_WINDOW_NS = 100_000_000
# A second whose narrowest bracket is wider than this (the vCPU stalled inside every write of that second, seen
# once at 3 s under load) has no usable truth: left out of the error statistics (counted), kept for coverage
# (a wide bracket can only hide a violation, never make one).
MAX_ERROR_BRACKET_NS = 50_000


def parse_trace(path):
    """[(host_ns, value)] in file order."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = TRACE_RE.search(line)
            if not m:
                continue
            y, mo, d, h, mi, s, us, val = m.groups()
            sec = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
            frac_ns = int((us or "0").ljust(9, "0"))
            out.append((sec * 1_000_000_000 + frac_ns, int(val, 16) & 0xFF))
    return out


def parse_probe(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 11:
                continue
            r = {"seq": int(p[0]), "a": int(p[1]), "b": int(p[2]), "maxerror_us": int(p[3]), "esterror_us": int(p[4]),
                 "timex_status": int(p[5]), "timex_state": int(p[6]), "c": int(p[7]), "cb_width": int(p[8]),
                 "cb_status": int(p[9]), "cb_state": int(p[10]), "cb_bound": int(p[11]) if len(p) > 11 else None}
            rows.append(r)
    return rows


def match(trace, probe):
    """Pairs each probe write with its trace line: the probe's values are seq mod 256 in order; other writes to the
    port (a guest driver at boot) are skipped by finding where the sequence 0, 1, 2, ... starts."""
    start = None
    for k in range(len(trace)):
        if all(k + j < len(trace) and trace[k + j][1] == (j & 0xFF) for j in range(min(16, len(probe)))):
            start = k
            break
    if start is None:
        return [], 0
    pairs, skipped, t, i = [], 0, start, 0
    while i < len(probe) and t < len(trace):
        want = probe[i]["seq"] & 0xFF
        got = trace[t][1]
        if got == want:
            pairs.append((probe[i], trace[t][0]))
            i += 1
            t += 1
        elif i + 1 < len(probe) and got == (probe[i + 1]["seq"] & 0xFF):
            i += 1  # this write has no trace line: leave it out
            skipped += 1
        else:
            t += 1  # a write that is not the probe's
            skipped += 1
    return pairs, skipped


def quantile(values, q):
    if not values:
        return None
    v = sorted(values)
    i = q * (len(v) - 1)
    lo = math.floor(i)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)


def stats(values):
    if not values:
        return None
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in values) / n)
    rms = math.sqrt(sum(x * x for x in values) / n)
    absv = [abs(x) for x in values]
    return {"n": n, "mean_ns": round(mean, 1), "std_ns": round(std, 1), "rms_ns": round(rms, 1),
            "p99_abs_ns": round(quantile(absv, 0.99), 1), "max_abs_ns": max(absv)}


def per_second(pairs):
    """{second: bracket} with the narrowest bracket of each second (by the guest's a)."""
    best = {}
    for r, host in pairs:
        lo = r["a"] - host - STAMP_QUANTUM_NS
        hi = r["b"] - host
        if hi < lo:  # cannot happen for a real bracket: b >= a
            continue
        s = r["a"] // 1_000_000_000
        width = hi - lo
        cur = best.get(s)
        if cur is None or width < cur["width"]:
            best[s] = {"lo": lo, "hi": hi, "width": width, "mid": (lo + hi) / 2, "row": r, "host": host}
    for s, br in best.items():
        br["writes"] = 0
    for r, _ in pairs:
        s = r["a"] // 1_000_000_000
        if s in best:
            best[s]["writes"] += 1
    return best


def intersected(pairs, seconds_map, window_ns=INTERSECT_WINDOW_NS):
    """Each second's narrowest bracket intersected with every bracket within window_ns of it (the clock's offset
    moves far less than a microsecond in that time while a daemon slews); an empty intersection (the offset moved,
    or a stamp is off) keeps the narrowest bracket. Returns ({second: bracket}, fraction intersected)."""
    by_time = sorted(((r["a"], r["a"] - h - STAMP_QUANTUM_NS, r["b"] - h) for r, h in pairs))
    keys = [t for t, _, _ in by_time]
    out, used = {}, 0
    for s, br in seconds_map.items():
        t = br["row"]["a"]
        i0, i1 = bisect.bisect_left(keys, t - window_ns), bisect.bisect_right(keys, t + window_ns)
        lo = max(x[1] for x in by_time[i0:i1])
        hi = min(x[2] for x in by_time[i0:i1])
        if hi >= lo:
            used += 1
            out[s] = dict(br, lo=lo, hi=hi, width=hi - lo, mid=(lo + hi) / 2)
        else:
            out[s] = br
    return out, used / max(1, len(seconds_map))


def second_min_maxerror(pairs):
    m = {}
    for r, _ in pairs:
        s = r["a"] // 1_000_000_000
        m[s] = min(m.get(s, 1 << 62), r["maxerror_us"])
    return m


def coverage(seconds, bound_of):
    """bound_of(second, bracket) -> bound ns or None. Counts certain and possible violations."""
    n = certain = possible = 0
    bounds, worst = [], None
    for s, br in seconds:
        b = bound_of(s, br)
        if b is None:
            continue
        n += 1
        bounds.append(b)
        if br["lo"] > b or br["hi"] < -b:
            certain += 1
            excess = max(br["lo"] - b, -b - br["hi"])
            worst = excess if worst is None or excess > worst else worst
        elif br["hi"] > b or br["lo"] < -b:
            possible += 1
    if n == 0:
        return None
    return {"seconds": n, "certain_violations": certain, "possible_violations": possible,
            "covered_fraction": round(1 - certain / n, 5), "median_bound_ns": quantile(bounds, 0.5),
            "p01_bound_ns": quantile(bounds, 0.01), "worst_excess_ns": worst}


def load_chrony(path):
    """[(guest_realtime_s, bound_ns, system_time_s)] from `date +%s.%N` + `chronyc -c tracking` lines."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.strip().split(" ", 1)
            if len(parts) < 2:
                continue
            f_ = parts[1].split(",")
            if len(f_) < 12:
                continue
            try:
                t = float(parts[0])
                system_time = float(f_[4])
                root_delay = float(f_[10])
                root_disp = float(f_[11])
            except ValueError:
                continue
            out.append((t, (abs(system_time) + root_disp + root_delay / 2) * 1e9, system_time))
    return out


def device_bias(path, seconds_map, settle_from):
    if not os.path.exists(path):
        return None
    rows = []
    with open(path) as f:
        for line in f:
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if "wall" not in j or "best_offset_ns" not in j:
                continue
            s = int(math.floor(float(j["wall"])))
            br = seconds_map.get(s)
            if br is None or s < settle_from:
                continue
            # theta (guest - host) minus d (guest - device) = device - host.
            rows.append((br["mid"] - j["best_offset_ns"], j.get("min_delay_ns", 0), br["width"] / 2))
    if not rows:
        return None
    # Seconds whose fastest sample was slow (a preempted read) say little about the device: keep those at or
    # below the median window.
    median_window = quantile([w for _, w, _ in rows], 0.5)
    kept = [e for e, w, _ in rows if w <= median_window]
    st = stats(kept)
    return {"bias_ns": st["mean_ns"], "median_ns": quantile(kept, 0.5), "std_ns": st["std_ns"], "seconds": st["n"],
            "seconds_all": len(rows), "uncertainty_ns": quantile([u for _, _, u in rows], 0.5),
            "median_window_ns": median_window}


def analyze(run_dir):
    out_dir = os.path.join(run_dir, "out")
    result = {}
    try:
        with open(os.path.join(run_dir, "result.json")) as f:
            result = json.load(f)
    except (OSError, ValueError):
        pass
    trace = parse_trace(os.path.join(run_dir, "truth-trace.log"))
    probe = parse_probe(os.path.join(out_dir, "truth-probe.txt"))
    pairs, skipped = match(trace, probe)
    report = {"trace_lines": len(trace), "probe_writes": len(probe), "matched": len(pairs), "skipped_trace_lines": skipped}
    if not pairs:
        report["error"] = "no probe write matched a trace line"
        return report
    sec = per_second(pairs)
    start_rt = result.get("start_realtime_s")
    t0 = int(start_rt) if start_rt else min(sec)
    settle = int(result.get("settle_s", 60))
    inter, inter_fraction = intersected(pairs, sec)
    daemon = result.get("daemon", "virtsync")
    report["daemon"] = daemon
    maxerr_min = second_min_maxerror(pairs)
    chrony_by_sec = {}
    if daemon == "chrony":
        for t, b, _ in load_chrony(os.path.join(out_dir, "chronyc-tracking.csv")):
            chrony_by_sec.setdefault(int(t), b)
    all_widths = [r["b"] - r["a"] + STAMP_QUANTUM_NS for r, _ in pairs]
    for name, seconds_map in (("narrowest", sec), ("intersected", inter)):
        settled = sorted((s, br) for s, br in seconds_map.items() if s >= t0 + settle)
        widths = [br["width"] for _, br in settled]
        part = {"truth": {
            "seconds": len(settled),
            "writes_per_second": round(len(pairs) / max(1, len(sec)), 1),
            "bracket_width_ns_median": quantile(widths, 0.5), "bracket_width_ns_p90": quantile(widths, 0.9),
            "bracket_width_ns_max": max(widths) if widths else None,
            "uncertainty_ns_median": quantile(widths, 0.5) / 2 if widths else None,
            "all_writes_width_ns_median": quantile(all_widths, 0.5),
        }}
        if name == "intersected":
            part["truth"]["window_ns"] = INTERSECT_WINDOW_NS
            part["truth"]["fraction_intersected"] = round(inter_fraction, 4)
        part["error_vs_truth"] = stats([br["mid"] for _, br in settled if br["width"] <= MAX_ERROR_BRACKET_NS])
        part["truth"]["seconds_without_usable_truth"] = sum(1 for _, br in settled if br["width"] > MAX_ERROR_BRACKET_NS)
        cov = {
            "kernel_esterror": coverage(settled, lambda s, br: br["row"]["esterror_us"] * 1000),
            "kernel_maxerror_as_written": coverage(settled, lambda s, br: maxerr_min[s] * 1000),
        }
        if daemon == "virtsync":
            cov["clockbound_bound"] = coverage(settled, lambda s, br: br["row"]["cb_bound"] if br["row"]["cb_state"] == 0 and br["row"]["cb_bound"] is not None else None)
            cov["clockbound_client_interval"] = coverage(settled, lambda s, br: br["row"]["cb_width"] if br["row"]["cb_state"] == 0 else None)
        else:
            cov["chrony_tracking_bound"] = coverage(settled, lambda s, br: chrony_by_sec.get(s))
        rms = part["error_vs_truth"]["rms_ns"] if part["error_vs_truth"] else None
        for c in cov.values():
            if c and rms:
                c["median_bound_over_rms"] = round(c["median_bound_ns"] / rms, 2)
        part["coverage"] = cov
        report[name] = part
    if daemon == "virtsync":
        # Status: the first Synchronized after the daemon was started.
        sync_at = next((r["c"] for r, _ in pairs if r["cb_state"] == 0 and r["cb_status"] == 1), None)
        report["clockbound_synchronized_after_s"] = round(sync_at / 1e9 - start_rt, 2) if sync_at and start_rt else None
        statuses = {}
        for r, _ in pairs:
            key = f"state{r['cb_state']}/status{r['cb_status']}"
            statuses[key] = statuses.get(key, 0) + 1
        report["clockbound_reads"] = statuses
        # Every read a client made (not only each second's narrowest bracket), from the start: its interval must
        # contain the truth whatever the status.
        n = bad = 0
        for r, host in pairs:
            if r["cb_state"] != 0:
                continue
            n += 1
            lo, hi = r["a"] - host - STAMP_QUANTUM_NS, r["b"] - host
            if lo > r["cb_width"] or hi < -r["cb_width"]:
                bad += 1
        report["clockbound_every_read"] = {"reads": n, "certain_violations": bad}
    report["outage"] = outage(run_dir, pairs, inter, daemon, maxerr_min)
    report["devices"] = {
        "served": device_bias(os.path.join(out_dir, "served.jsonl"), inter, t0 + settle),
        "builtin": device_bias(os.path.join(out_dir, "reference.jsonl"), inter, t0 + settle),
    }
    return report


def outage(run_dir, pairs, seconds_map, daemon, maxerr_min):
    """With VMLAB_TRUTH_OUTAGE_AT_S the back end is killed and restarted (events.jsonl, host wall clock): what the
    ClockBound client saw while it was gone, how soon, and whether the bounds held from the kill to 60 s after."""
    events = {}
    try:
        with open(os.path.join(run_dir, "events.jsonl")) as f:
            for line in f:
                e = json.loads(line)
                events[e["event"]] = float(e["host_wall"])
    except (OSError, ValueError):
        return None
    if "kill" not in events:
        return None
    kill_ns = int(events["kill"] * 1e9)
    restart_ns = int(events["restart"] * 1e9) if "restart" in events else None
    end_ns = (restart_ns or kill_ns) + 60 * 1_000_000_000
    rep = {"kill_host_wall": events["kill"], "restart_host_wall": events.get("restart"),
           "down_s": round((restart_ns - kill_ns) / 1e9, 2) if restart_ns else None}
    if daemon == "virtsync":
        down = {}
        free_at = sync_at = None
        for r, _ in pairs:
            if r["c"] < kill_ns:
                continue
            if restart_ns is None or r["c"] < restart_ns:
                key = f"state{r['cb_state']}/status{r['cb_status']}"
                down[key] = down.get(key, 0) + 1
                if free_at is None and r["cb_state"] == 0 and r["cb_status"] == 2:
                    free_at = r["c"]
            elif sync_at is None and r["cb_state"] == 0 and r["cb_status"] == 1:
                sync_at = r["c"]
        rep["clockbound_reads_while_down"] = down
        rep["freerunning_after_kill_s"] = round((free_at - kill_ns) / 1e9, 2) if free_at else None
        rep["synchronized_after_restart_s"] = round((sync_at - restart_ns) / 1e9, 2) if sync_at and restart_ns else None
    window = sorted((s, br) for s, br in seconds_map.items() if kill_ns // 1_000_000_000 <= s <= end_ns // 1_000_000_000)
    cov = {"kernel_maxerror_as_written": coverage(window, lambda s, br: maxerr_min[s] * 1000)}
    if daemon == "virtsync":
        cov["clockbound_bound"] = coverage(window, lambda s, br: br["row"]["cb_bound"] if br["row"]["cb_state"] == 0 and br["row"]["cb_bound"] is not None else None)
        cov["clockbound_client_interval"] = coverage(window, lambda s, br: br["row"]["cb_width"] if br["row"]["cb_state"] == 0 else None)
    rep["coverage_kill_to_restart_plus_60s"] = cov
    rep["error_kill_to_restart_plus_60s"] = stats([br["mid"] for _, br in window if br["width"] <= MAX_ERROR_BRACKET_NS])
    return rep


def summary(report, label):
    """One Markdown table row: truth +-, error mean/std/p99/max, the daemon's bounds (certain violations / seconds,
    median bound, median / RMS), device biases."""
    p = report["narrowest"]
    t, e = p["truth"], p["error_vs_truth"]
    us = lambda ns: "-" if ns is None else f"{ns / 1e3:.2f}"
    bounds = []
    for name, c in p["coverage"].items():
        if c is None or name == "kernel_esterror":
            continue
        bounds.append(f"{name}: {c['certain_violations']}/{c['seconds']}, {us(c['median_bound_ns'])} us ({c.get('median_bound_over_rms')}x)")
    est = p["coverage"].get("kernel_esterror") or {}
    d = report.get("devices") or {}
    dev = "; ".join(f"{k} {us(v['bias_ns'])} +- {us(v['uncertainty_ns'])} (window {us(v['median_window_ns'])})" for k, v in d.items() if v)
    return (f"| {label} | +-{us(t['uncertainty_ns_median'])} (intersected +-{us(report['intersected']['truth']['uncertainty_ns_median'])}) "
            f"| {us(e['mean_ns'])} / {us(e['std_ns'])} / {us(e['p99_abs_ns'])} / {us(e['max_abs_ns'])} "
            f"| {'; '.join(bounds)} | esterror {est.get('certain_violations')}/{est.get('seconds')} | {dev} |")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = analyze(argv[1])
    if "--summary" in argv:
        print(summary(report, argv[argv.index("--summary") + 1]))
        return 0
    text = json.dumps(report, indent=2)
    if "--json" in argv:
        with open(argv[argv.index("--json") + 1], "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
