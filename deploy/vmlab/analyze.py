#!/usr/bin/env python3
"""Turns a VM lab run folder into artifacts/vmlab/SCENARIO.json and prints a table.

    analyze.py SCENARIO RUN_DIR OUTPUT_JSON [--boot-rc N]
    analyze.py --pair SCENARIO PAIR_DIR OUTPUT_JSON LEG1 LEG2   (a paired run: see pair_main)

The run folder holds boot.json and result.json (written by boot.sh; result.json is what the guest
printed between @@RESULT-BEGIN and @@RESULT-END) and out/ (the guest's run folder: probe JSON
lines, chrony logs). The guest's result may carry "checks": [{"name", "ok", "value"}]; this script
adds checks and statistics of its own per scenario. The report's "pass" is true only when the guest
said pass, every check is ok and the guest finished in time.

Sign convention (from phcread): offset_ns = guest system clock - reference PHC.
Standard library only.
"""
import json
import math
import os
import re
import sys


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def load_jsonl(path):
    header, rows, errors = None, [], []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if "probe" in obj:
                    header = obj
                elif "error" in obj:
                    errors.append(obj)
                elif "t" in obj:
                    rows.append(obj)
    except OSError:
        pass
    return header, rows, errors


def quantile(sorted_values, q):
    if not sorted_values:
        return None
    pos = q * (len(sorted_values) - 1)
    i = int(pos)
    if i + 1 >= len(sorted_values):
        return sorted_values[-1]
    return sorted_values[i] + (pos - i) * (sorted_values[i + 1] - sorted_values[i])


def line_residuals(ts, values):
    """Least-squares line through (t, value); values are made relative to the first one first."""
    base = values[0]
    ys = [v - base for v in values]
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    stt = sum((t - mt) ** 2 for t in ts)
    slope = sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / stt if stt else 0.0
    return [y - (my + slope * (t - mt)) for t, y in zip(ts, ys)], slope


def spread(values):
    """Mean, standard deviation, max |deviation| and p99 |deviation| around the mean."""
    n = len(values)
    if n == 0:
        return None
    mean = sum(values) / n
    dev = sorted(abs(v - mean) for v in values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"n": n, "mean_ns": round(mean, 1), "std_ns": round(std, 1), "max_dev_ns": round(dev[-1], 1),
            "p99_dev_ns": round(quantile(dev, 0.99), 1)}


def block_means(values, size):
    return [sum(values[i:i + size]) / size for i in range(0, len(values) - size + 1, size)]


def delay_gate(rows):
    """Seconds whose fastest call was slow carry more asymmetry (under TCG the device answers late
    when the host is busy, and the offset grows with the delay): keep the seconds whose minimum
    delay is within max(2 us, 25 %) of the run's 25th percentile."""
    min_delays = sorted(r["min_delay_ns"] for r in rows)
    p25 = quantile(min_delays, 0.25)
    return p25 + max(2000.0, 0.25 * p25)


def gated(rows):
    gate = delay_gate(rows)
    return [r for r in rows if r["min_delay_ns"] <= gate], gate


def lstsq(cols, y):
    """Least squares y ~ sum(x_i * cols_i) by the normal equations (few columns). Returns the
    coefficients and the residuals."""
    n = len(cols)
    m = [[sum(a * b for a, b in zip(cols[i], cols[j])) for j in range(n)] for i in range(n)]
    v = [sum(a * b for a, b in zip(cols[i], y)) for i in range(n)]
    for i in range(n):
        if m[i][i] == 0:
            return None, None
        for j in range(i + 1, n):
            f = m[j][i] / m[i][i]
            for k in range(n):
                m[j][k] -= f * m[i][k]
            v[j] -= f * v[i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (v[i] - sum(m[i][k] * x[k] for k in range(i + 1, n))) / m[i][i]
    return x, [yy - sum(x[i] * cols[i][j] for i in range(n)) for j, yy in enumerate(y)]


# Under TCG a slow call's extra delay falls mostly after the device read its clock, so the
# midpoint offset grows by about K x (delay - fastest delay). builtin-probe fits K (0.38-0.42 seen).
ASYMMETRY_K = float(os.environ.get("VMLAB_PROBE_ASYMMETRY_K", "0.4"))


def corrected(rows, k=ASYMMETRY_K):
    d0 = min(r["min_delay_ns"] for r in rows)
    return [r["best_offset_ns"] - k * (r["min_delay_ns"] - d0) for r in rows]


def probe_noise(path):
    """The probe's own noise: residuals of its per-second values around a straight line (valid when
    nothing steers the compared clock: CLOCK_MONOTONIC_RAW, or CLOCK_REALTIME with no daemon)."""
    header, rows, errors = load_jsonl(path)
    if len(rows) < 3:
        return {"file": os.path.basename(path), "error": "fewer than 3 seconds of probe data"}
    ts = [r["t"] for r in rows]
    out = {"file": os.path.basename(path),
           "samples_per_call": header.get("samples_per_call") if header else None,
           "calls_per_second_asked": header.get("calls_per_second") if header else None,
           "calls_per_second": round(sum(r["calls"] for r in rows) / len(rows), 1),
           "seconds": len(rows), "errors": len(errors)}
    min_delays = sorted(r["min_delay_ns"] for r in rows)
    med_delays = sorted(r["median_delay_ns"] for r in rows)
    out["delay_ns"] = {"min": min_delays[0], "median_of_second_min": quantile(min_delays, 0.5),
                       "median_of_call_best": quantile(med_delays, 0.5), "max_of_second_min": min_delays[-1]}
    kept, gate = gated(rows)
    out["gate_delay_ns"] = round(gate)
    out["gated_fraction"] = round(len(kept) / len(rows), 3)
    series = [(key, rows) for key in ("best_offset_ns", "median_offset_ns", "mean_offset_ns", "floor_offset_ns")
              if key in rows[0]]
    if len(kept) >= 3:
        series.append(("gated_best_offset_ns", kept))
        if "floor_offset_ns" in rows[0]:
            series.append(("gated_floor_offset_ns", kept))
    for key, use in series:
        res, slope = line_residuals([r["t"] for r in use], [r[key.replace("gated_", "")] for r in use])
        s = spread(res)
        five = block_means(res, 5)
        out[key.replace("_offset_ns", "")] = {
            "std_ns": s["std_ns"], "max_dev_ns": s["max_dev_ns"], "p99_dev_ns": s["p99_dev_ns"],
            "std_5s_mean_ns": round(spread(five)["std_ns"], 1) if len(five) > 2 else None,
            "slope_ppm": round(slope / 1e3, 3)}
    # Delay-corrected: the fastest sample's offset minus K x its excess delay, every second kept.
    base = rows[0]["best_offset_ns"]
    d0 = min(r["min_delay_ns"] for r in rows)
    ys = [r["best_offset_ns"] - base for r in rows]
    coef, res = lstsq([[1.0] * len(ts), ts, [r["min_delay_ns"] - d0 for r in rows]], ys)
    if coef:
        out["asymmetry_k_fitted"] = round(coef[2], 3)
        out["corrected_fitted_k"] = {"std_ns": round(spread(res)["std_ns"], 1), "max_dev_ns": round(spread(res)["max_dev_ns"], 1)}
    res, _ = line_residuals(ts, corrected(rows))
    s = spread(res)
    five = block_means(res, 5)
    out["corrected"] = {"k": ASYMMETRY_K, "std_ns": s["std_ns"], "max_dev_ns": s["max_dev_ns"], "p99_dev_ns": s["p99_dev_ns"],
                        "std_5s_mean_ns": round(spread(five)["std_ns"], 1) if len(five) > 2 else None}
    out["median_iqr_ns"] = quantile(sorted(r["iqr_ns"] for r in rows), 0.5)
    return out


def offset_series(path, key):
    header, rows, errors = load_jsonl(path)
    if not rows:
        return [], errors, None
    if key == "corrected":
        return list(zip((r["t"] for r in rows), corrected(rows))), errors, None
    if key.startswith("gated_"):
        rows, gate = gated(rows)
        return [(r["t"], r[key[6:]]) for r in rows], errors, gate
    return [(r["t"], r[key]) for r in rows], errors, None


def accuracy(path, settle_s, key="corrected", band_ns=None):
    """Guest clock against the reference probe, after settle_s seconds: bias (mean), std, max and
    p99 deviation around the mean; time to converge = first second after which |offset - bias|
    stays within band_ns (default: max(20 us, 5 x std))."""
    series, errors, gate = offset_series(path, key)
    if not series:
        return {"error": "no probe data", "file": os.path.basename(path)}
    settled = [v for t, v in series if t >= settle_s]
    s = spread(settled) if len(settled) > 1 else None
    out = {"file": os.path.basename(path), "key": key, "seconds": len(series), "settle_s": settle_s,
           "probe_errors": len(errors), "gate_delay_ns": gate, "settled": s}
    if s:
        band = band_ns if band_ns is not None else max(20000.0, 5 * s["std_ns"])
        converged = None
        for i in range(len(series)):
            if all(abs(v - s["mean_ns"]) <= band for _, v in series[i:]):
                converged = series[i][0]
                break
        out["converge_band_ns"] = round(band, 1)
        out["converged_at_s"] = converged
        out["first_offset_ns"] = series[0][1]
    return out


STEPPED_NS = 1_000_000  # the guest starts 2 s off: the first second within 1 ms is after the daemon's first step


def after_first_step(path, limit_ns=STEPPED_NS):
    """The first second the guest is within limit_ns of the reference (the daemon's first step is behind it, the
    guest starts VMLAB_INITIAL_STEP_S off) and the largest |guest - reference| (delay-corrected) from then on."""
    series, _, _ = offset_series(path, "corrected")
    first = next((t for t, v in series if abs(v) < limit_ns), None)
    if first is None:
        return {"first_within_s": None, "within": False}
    t, v = max(((t, v) for t, v in series if t >= first), key=lambda x: abs(x[1]))
    return {"first_within_s": first, "max_abs_ns": round(abs(v), 1), "at_s": t,
            "seconds": sum(1 for t, _ in series if t >= first), "within": abs(v) < limit_ns}


def windows(path, starts=(60, 120)):
    """Bias, std and max deviation of the delay-corrected guest - reference series from each start (s) on."""
    series, _, _ = offset_series(path, "corrected")
    out = {}
    for start in starts:
        values = [v for t, v in series if t >= start]
        out[str(start)] = spread(values) if len(values) > 1 else None
    return out


def check(checks, name, ok, value=None):
    checks.append({"name": name, "ok": bool(ok), "value": value})


def analyze_builtin_probe(run_dir, guest, checks, metrics):
    caps = guest.get("caps") or {}
    names = [c.get("name") for c in guest.get("clocks") or []]
    check(checks, "built-in device named 'Virtio PTP type 0/variant 0'",
          "Virtio PTP type 0/variant 0" in names, names)
    check(checks, "PTP_SYS_OFFSET_EXTENDED2 works", caps.get("extended2_errno") == 0, caps.get("extended2_errno"))
    check(checks, "PTP_SYS_OFFSET_PRECISE2 gives EOPNOTSUPP (x86)", caps.get("precise2_errno") == 95,
          caps.get("precise2_errno"))
    check(checks, "clock_gettime on the PHC works", caps.get("clock_gettime_errno") == 0,
          caps.get("clock_gettime_errno"))
    samples = (guest.get("read") or {}).get("samples") or []
    check(checks, "one EXTENDED2 call returns 25 samples", len(samples) == 25, len(samples))
    if samples:
        delays = sorted(s["delay_ns"] for s in samples)
        metrics["read_delay_ns"] = {"min": delays[0], "median": quantile(delays, 0.5), "max": delays[-1]}
    metrics["clocksource"] = guest.get("clocksource")
    probes = []
    for f in guest.get("probe_files") or []:
        p = probe_noise(os.path.join(run_dir, "out", f))
        probes.append(p)
        check(checks, f"probe {f} ran", "error" not in p and p.get("errors", 1) == 0, p.get("seconds"))
    metrics["probes"] = probes
    if guest.get("virtsyncd") is not None:
        v = guest["virtsyncd"]
        # Started means the runtime loaded the program: exit 0, or output that names it.
        check(checks, "virtsyncd starts in the guest (from /run)",
              v.get("exit_code") == 0 or "virtsyncd" in (v.get("output") or ""), v)


def delay_stats(delays):
    d = sorted(delays)
    if not d:
        return None
    return {"n": len(d), "min_ns": d[0], "median_ns": round(quantile(d, 0.5), 1),
            "p90_ns": round(quantile(d, 0.9), 1), "p99_ns": round(quantile(d, 0.99), 1), "max_ns": d[-1]}


def read_delays(path, served, reference):
    """Guest-observed EXTENDED2 delay per READ (each sample is one READ request on the device) on
    the served device and the reference (QEMU's built-in) device, from alternated `phcread read`
    calls: all samples, and without each call's first sample (often slow: the first request of a
    call wakes the back end up)."""
    per_dev = {}
    try:
        with open(path) as f:
            for line in f:
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                samples = obj.get("samples")
                if not samples:
                    continue
                entry = per_dev.setdefault(obj.get("device"), {"all": [], "after_first": [], "calls": 0})
                entry["calls"] += 1
                delays = [x["delay_ns"] for x in samples]
                entry["all"].extend(delays)
                entry["after_first"].extend(delays[1:])
    except OSError:
        return {"error": "no read-delay data"}
    out = {}
    for role, dev in (("served", served), ("reference", reference)):
        e = per_dev.get(dev)
        if e:
            out[role] = {"device": dev, "calls": e["calls"], "all": delay_stats(e["all"]),
                         "after_first": delay_stats(e["after_first"])}
    if "served" in out and "reference" in out:
        for part in ("all", "after_first"):
            a, b = out["served"][part], out["reference"][part]
            out[f"ratio_{part}"] = {q: round(a[q] / b[q], 2) for q in ("min_ns", "median_ns", "p99_ns") if b[q]}
    return out


def analyze_accuracy(run_dir, guest, checks, metrics):
    settle = int(guest.get("settle_s", 60))
    ref = guest.get("reference_file")
    if ref:
        metrics["reference_probe"] = accuracy(os.path.join(run_dir, "out", ref), settle)
        metrics["reference_probe_gated"] = accuracy(os.path.join(run_dir, "out", ref), settle, "gated_floor_offset_ns")
        metrics["reference_probe_raw"] = accuracy(os.path.join(run_dir, "out", ref), settle, "best_offset_ns")
        check(checks, "reference probe data", "error" not in metrics["reference_probe"],
              metrics["reference_probe"].get("seconds"))
        metrics["after_first_step"] = after_first_step(os.path.join(run_dir, "out", ref))
        metrics["windows"] = windows(os.path.join(run_dir, "out", ref))
    noise = guest.get("probe_noise_file")
    if noise:
        metrics["probe_noise"] = probe_noise(os.path.join(run_dir, "out", noise))
    delays = guest.get("read_delays_file")
    if delays:
        metrics["read_delay"] = read_delays(os.path.join(run_dir, "out", delays), guest.get("served_device"),
                                            guest.get("reference_device"))


STEP_NS = 1_000_000          # a change larger than this from one second to the next is a step
SYNCED_NS = 100_000          # |guest - served| below this counts as synchronized
SYNCED_FOR_S = 10            # ... for this many seconds in a row


RESOLVING_DELAY_NS = 200_000  # a second whose fastest call took longer cannot certify |offset| < 100 us


def wall_series(path, key="best_offset_ns", max_delay_ns=None):
    _, rows, errors = load_jsonl(path)
    return [(float(r["wall"]), r["t"], r[key]) for r in rows
            if max_delay_ns is None or r["min_delay_ns"] <= max_delay_ns], errors


def synced_after(series, t0, t_end=None, band_ns=SYNCED_NS, hold_s=SYNCED_FOR_S, after_excursion=False):
    """Seconds from host wall time t0 until the served offset is within band_ns and stays there for
    hold_s probe seconds (or until t_end / the end of the data); plus the first read after t0.
    after_excursion: the search starts at the first second (t0 - 2 s .. t0 + 30 s) whose offset is
    beyond STEP_NS, if there is one (a served step seen late must not count as "synced at once")."""
    window = [(w, v) for w, _, v in series if w >= t0 and (t_end is None or w < t_end)]
    out = {"first_read_after_s": round(window[0][0] - t0, 1) if window else None,
           "synced_after_s": None, "max_abs_offset_us": None}
    if window:
        out["max_abs_offset_us"] = round(max(abs(v) for _, v in window) / 1e3, 1)
    if after_excursion:
        seen = [w for w, _, v in series if t0 - 2 <= w <= t0 + 30 and abs(v) > STEP_NS]
        out["served_step_seen_by_probe"] = bool(seen)
        if seen:
            window = [(w, v) for w, v in window if w > seen[0]]
    for i, (w, v) in enumerate(window):
        run = window[i:i + hold_s]
        if all(abs(x) < band_ns for _, x in run) and (len(run) == hold_s or i + len(run) == len(window)):
            out["synced_after_s"] = round(w - t0, 1)
            break
    return out


def analyze_faults(run_dir, guest, checks, metrics):
    events = {}
    try:
        with open(os.path.join(run_dir, "events.jsonl")) as f:
            for line in f:
                if line.strip():
                    e = json.loads(line)
                    events[e["event"]] = e
    except OSError:
        pass
    out = os.path.join(run_dir, "out")
    served_path = os.path.join(out, guest.get("served_file", "served.jsonl"))
    served, served_errors = wall_series(served_path, max_delay_ns=RESOLVING_DELAY_NS)
    served_all, _ = wall_series(served_path)
    reference, reference_errors = wall_series(os.path.join(out, guest.get("reference_file", "reference.jsonl")))
    metrics["probe_seconds"] = {"served": len(served_all), "served_resolving": len(served),
                                "served_note": f"seconds whose fastest call took > {RESOLVING_DELAY_NS // 1000} us are left out of the served checks",
                                "reference": len(reference),
                                "served_errors": [e.get("errno") for e in served_errors],
                                "reference_errors": [e.get("errno") for e in reference_errors]}
    check(checks, "probe data (served and reference)", served and reference, metrics["probe_seconds"])
    if not served or not reference:
        return
    t_start = reference[0][0]
    rel = lambda w: round(w - t_start, 1)
    metrics["time_zero"] = "first second of the reference probe (guest started sync at about the same time)"
    start, kill, restart = events.get("serve_start"), events.get("kill"), events.get("restart")
    step_wall = rate_wall = None
    if start:
        step_wall = start["host_wall"] + start["step_after_s"]
        rate_wall = start["host_wall"] + start["rate_after_s"]
    metrics["events_s"] = {k: rel(e["host_wall"]) for k, e in events.items()}
    if step_wall:
        metrics["events_s"]["served_step"] = rel(step_wall)
        metrics["events_s"]["served_rate"] = rel(rate_wall)
    end_wall = kill["host_wall"] if kill else None

    if step_wall:
        before = [v for w, _, v in served if w < step_wall - 1][-10:]
        metrics["before_step_offset_us"] = [round(v / 1e3, 1) for v in before]
        check(checks, "synchronized before the served step (|offset| < 100 us, last 10 s)",
              len(before) == 10 and all(abs(v) < SYNCED_NS for v in before), len(before))
        st = synced_after(served, step_wall, rate_wall, after_excursion=True)
        metrics["served_step"] = st
        check(checks, f"follows the served step of {start['step_ms']} ms (|offset| < 100 us for 10 s, before the rate change)",
              st["synced_after_s"] is not None, st["synced_after_s"])
        after_rate = [(w, v) for w, _, v in served if w >= rate_wall and (end_wall is None or w < end_wall)]
        tail = [v for w, v in after_rate if w >= after_rate[-1][0] - 20] if after_rate else []
        rt = synced_after(served, rate_wall, end_wall)
        rt["seconds_observed"] = round(after_rate[-1][0] - rate_wall, 1) if after_rate else 0
        rt["last_20s_max_abs_offset_us"] = round(max(abs(v) for v in tail) / 1e3, 1) if tail else None
        metrics["served_rate"] = rt
        check(checks, f"follows the served rate of +{start['rate_ppm']} ppm (|offset| < 100 us in the last 20 s before the kill)",
              tail and all(abs(v) < SYNCED_NS for v in tail), rt["last_20s_max_abs_offset_us"])
    if kill:
        after_kill = [(w, v) for w, _, v in served_all if w >= kill["host_wall"] + 0.5]
        metrics["served_reads_after_kill"] = len(after_kill)
        # Holdover: guest - host (reference) from the kill on, relative to its value just before.
        ref_before = [v for w, _, v in reference if w < kill["host_wall"]][-5:]
        ref_after = [(w, v) for w, _, v in reference if w >= kill["host_wall"]]
        if ref_before and ref_after:
            base = sorted(ref_before)[len(ref_before) // 2]
            metrics["holdover_drift_us"] = {"after_s": round(ref_after[-1][0] - kill["host_wall"], 1),
                                            "drift_us": round((ref_after[-1][1] - base) / 1e3, 1),
                                            "max_abs_drift_us": round(max(abs(v - base) for _, v in ref_after) / 1e3, 1)}
    if restart:
        r = synced_after(served, restart["host_wall"])
        r["outage_s"] = round(restart["host_wall"] - kill["host_wall"], 1) if kill else None
        metrics["restart"] = r
        check(checks, "synchronized again within 10 s of the back-end restart",
              r["synced_after_s"] is not None and r["synced_after_s"] <= 10, r["synced_after_s"])
    else:
        check(checks, "synchronized again within 10 s of a back-end restart", False,
              "not run: the back end was not restarted (VMLAB_FAULT_RESTART=0)")

    # Changes of guest - host (built-in device) of more than 1 ms from one second to the next.
    def near_step(w):
        return step_wall is not None and step_wall - 2 <= w <= step_wall + 30
    jumps, deltas = [], []
    for (w0, t0, v0), (w1, t1, v1) in zip(reference, reference[1:]):
        if t1 - t0 != 1:
            continue
        if not near_step(w1):
            deltas.append(abs(v1 - v0))
        if abs(v1 - v0) > STEP_NS:
            jumps.append({"at_s": rel(w1), "ms": round((v1 - v0) / 1e6, 3), "during_served_step": near_step(w1)})
    metrics["reference_jumps"] = jumps
    metrics["largest_change_per_s_outside_served_step_us"] = round(max(deltas, default=0) / 1e3, 1)
    metrics["reference_jumps_note"] = ("changes of guest - host (built-in device) > 1 ms from one second to the next;"
                                       " the daemon may slew up to 83 ms/s, so these are steps only where the sync log"
                                       " shows a step command")

    # The daemon's own steps: its Debug log has every clock command, "Step = N ns" (N < 0: backwards).
    steps = []
    sync_log = os.path.join(out, guest.get("sync_log", "virtsyncd-sync.log"))
    day = math.floor(t_start / 86400) * 86400
    log_text = ""
    try:
        with open(sync_log, errors="replace") as f:
            log_text = f.read()
    except OSError:
        pass
    sync_wall = None
    for line in log_text.splitlines():
        m = re.match(r"(\d\d):(\d\d):(\d\d\.\d+) .*clock command .*Step = (-?\d+) ns", line)
        if not m:
            continue
        w = day + int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        if w < t_start - 43200:
            w += 86400
        phase = ("served step" if near_step(w) else
                 "after restart" if restart and w >= restart["host_wall"] else
                 "after kill" if kill and w >= kill["host_wall"] else
                 "before the served step" if step_wall and w < step_wall else "rate")
        steps.append({"at_s": rel(w), "us": round(int(m.group(4)) / 1e3, 1), "phase": phase})
    metrics["daemon_steps"] = steps
    check(checks, "sync log has the clock commands (Debug)", "clock command" in log_text)
    # Acquisition: steps in the first 30 s of sync are the start-up policy (makestep limit).
    later = [x for x in steps if x["at_s"] > 30]
    big = [x for x in later if abs(x["us"]) > 1000 and x["phase"] != "served step"]
    check(checks, "no guest step larger than 1 ms after acquisition, except to follow the served step", not big,
          big or max((abs(x["us"]) for x in later if x["phase"] != "served step"), default=0))
    backwards = [x for x in later if x["us"] < 0]
    check(checks, "the guest never stepped backwards after acquisition", not backwards, backwards or None)
    if kill:
        held = [x for x in steps if x["phase"] == "after kill"]
        check(checks, "no step while the back end is gone", not held, held or None)
    if restart:
        again = [x for x in steps if x["phase"] == "after restart"]
        check(checks, "no step larger than 1 ms after the back-end restart", all(abs(x["us"]) <= 1000 for x in again), again or None)

    statuses, doc_at = {}, {}
    for name in guest.get("status_files") or []:
        doc = load_json(os.path.join(out, name))
        if isinstance(doc, dict) and isinstance(doc.get("status"), dict):
            doc = doc["status"]
        if isinstance(doc, dict):
            doc_at[name] = doc.get("atUnixNanoseconds")
            selected = [x for x in doc.get("sources") or [] if x.get("selected")]
            if selected:
                doc = dict(doc, reach=selected[0].get("reach"), lastFailure=selected[0].get("lastFailure"))
        statuses[name] = ({k: doc.get(k) for k in ("state", "selectedSource", "reach", "lastFailure", "lastOffsetSeconds", "rmsOffsetSeconds", "steps",
                                                   "frequencyPpm", "residualFrequencyPpm", "errorBoundSeconds")}
                          if isinstance(doc, dict) else None)
    for name in list(statuses):
        asked = load_json(os.path.join(out, name.replace(".json", ".asked")))
        if statuses[name] and isinstance(asked, (int, float)) and doc_at.get(name):
            statuses[name]["age_s"] = round(asked - doc_at[name] / 1e9, 1)
    metrics["status"] = statuses
    down_name = "status-down.json" if restart and statuses.get("status-down.json") else "status-end.json"
    if kill and statuses.get(down_name):
        down = statuses[down_name]
        said = down.get("state") != "tracking" or (down.get("age_s") or 0) > 10 or down.get("lastFailure")
        check(checks, f"status says the source is gone while it is ({down_name}: state, failure or age of its snapshot)", bool(said),
              {k: down.get(k) for k in ("state", "age_s", "lastFailure", "reach")})
    if restart and statuses.get("status-end.json"):
        end = statuses["status-end.json"]
        check(checks, "status says tracking again after the restart", end.get("state") == "tracking" and (end.get("age_s") or 0) < 10,
              {k: end.get(k) for k in ("state", "age_s", "lastFailure", "reach")})
    check(checks, "virtsyncd status answered after each phase", statuses and all(statuses.values()),
          sorted(k for k, v in statuses.items() if not v) or None)

def _sync_log_lines(run_dir):
    try:
        with open(os.path.join(run_dir, "out", "virtsyncd-sync.log"), errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def analyze_leap(run_dir, guest, checks, metrics):
    """The served clocks and the guest across the extra leap second (leap.host.sh / leap.guest.sh).
    Rows: X_raw = CLOCK_MONOTONIC_RAW - served X (what X itself does), utc_rt = CLOCK_REALTIME - served UTC."""
    info = load_json(os.path.join(run_dir, "leap.json"), {}) or {}
    _, rows, errors = load_jsonl(os.path.join(run_dir, "out", guest.get("leap_file", "leap.jsonl")))
    keys = ("utc_raw", "tai_raw", "sls_raw", "noon_raw", "utc_rt")
    rows = [r for r in rows if all(isinstance(r.get(k), (int, float)) for k in keys)]
    # A read's offset is off by up to half its delay: rows with any read slower than 2 ms (the host was busy)
    # cannot resolve the 10 ms tolerances below and are left out.
    all_rows = len(rows)
    rows = [r for r in rows if all(r.get(k + "_d", 0) <= 2_000_000 for k in keys)]
    metrics["rows_left_out_slow_reads"] = all_rows - len(rows)
    policy = guest.get("policy") or info.get("policy") or "kernel"
    metrics["policy"] = policy
    metrics["leap_at_iso"] = info.get("leap_at_iso")
    metrics["rows"] = len(rows)
    check(checks, "leap data recorded (served clocks and kernel state)", len(rows) >= 20, len(rows))
    if len(rows) < 20:
        return
    S = 1_000_000_000
    tai_minus_utc = [(r["utc_raw"] - r["tai_raw"]) / S for r in rows]
    switch = [i for i in range(1, len(rows)) if round(tai_minus_utc[i]) != round(tai_minus_utc[i - 1])]
    metrics["served_tai_minus_utc_s"] = {"first": round(tai_minus_utc[0], 6), "last": round(tai_minus_utc[-1], 6),
                                         "changes_at_rows": switch}
    check(checks, "served TAI - UTC goes from 37 s to 38 s once (within 10 ms: two reads)",
          abs(tai_minus_utc[0] - 37) < 1e-2 and abs(tai_minus_utc[-1] - 38) < 1e-2 and len(switch) == 1
          and all(min(abs(v - 37), abs(v - 38)) < 1e-2 for v in tai_minus_utc), metrics["served_tai_minus_utc_s"])
    leap_row = switch[0] if switch else None

    # Rows are seconds apart (4 PHC reads and a timex read each under TCG); a read's error is at most half its
    # delay (ms when the host is busy), a smear moves 1 ms/s: 100 ms separates those from a leap's 1 s.
    def jumps(key, limit_ns=100_000_000):
        out = []
        for a, b in zip(rows, rows[1:]):
            d = -(b[key] - a[key])   # change of served X - raw
            if abs(d) > limit_ns:
                out.append({"t": b["t"], "s": round(d / S, 6)})
        return out
    j = {k: jumps(k) for k in ("utc_raw", "tai_raw", "sls_raw", "noon_raw")}
    metrics["served_jumps"] = j
    check(checks, "served UTC steps back by 1 s at the leap (repeats 23:59:59), once",
          len(j["utc_raw"]) == 1 and abs(j["utc_raw"][0]["s"] + 1) < 1e-2, j["utc_raw"])
    check(checks, "served TAI does not step", not j["tai_raw"], j["tai_raw"] or None)
    check(checks, "served smeared clocks (UTC-SLS, noon-linear) do not step", not j["sls_raw"] and not j["noon_raw"],
          {"sls": j["sls_raw"], "noon": j["noon_raw"]})
    sls_minus_utc = [(r["utc_raw"] - r["sls_raw"]) / S for r in rows]
    noon_minus_utc = [(r["utc_raw"] - r["noon_raw"]) / S for r in rows]
    if leap_row is not None:
        before, after = slice(0, leap_row), slice(leap_row + 2, None)
        metrics["sls_minus_utc_s"] = {"first": round(sls_minus_utc[0], 4), "last_before": round(sls_minus_utc[leap_row - 1], 4),
                                      "after": round(sls_minus_utc[-1], 6)}
        check(checks, "UTC-SLS lags UTC by 0..1 s before the leap and equals it after (within 10 ms)",
              all(-1.0 - 1e-2 <= v <= 1e-2 for v in sls_minus_utc[before]) and all(abs(v) < 1e-2 for v in sls_minus_utc[after]),
              metrics["sls_minus_utc_s"])
        metrics["noon_minus_utc_s"] = {"before": round(noon_minus_utc[leap_row - 1], 4), "after": round(noon_minus_utc[-1], 4)}
        check(checks, "noon-linear smeared UTC is half the leap behind before midnight and half ahead after (within 10 ms)",
              abs(noon_minus_utc[leap_row - 1] + 0.5) < 0.01 and abs(noon_minus_utc[-1] - 0.5) < 0.01, metrics["noon_minus_utc_s"])

    # The guest: its kernel leap state and its CLOCK_REALTIME against the served UTC.
    kernel = [r.get("kernel") or {} for r in rows]
    states = [k.get("state") for k in kernel]
    ins_before = leap_row is not None and any((k.get("status", 0) & 0x10) or k.get("state") == 1 for k in kernel[:leap_row])
    leap_at = info.get("leap_at") or guest.get("leap_at") or 0
    before_leap = [k for k in kernel if isinstance(k.get("time"), (int, float)) and k["time"] < leap_at - 1]
    tai_before = before_leap[-1].get("tai") if before_leap else None
    try:
        with open(os.path.join(run_dir, "out", "dmesg.txt"), errors="replace") as f:
            inserted_msg = "inserting leap second" in f.read()
    except OSError:
        inserted_msg = False
    metrics["kernel"] = {"states_seen": sorted({s for s in states if s is not None}),
                         "tai_before_leap": tai_before, "tai_last": kernel[-1].get("tai"),
                         "sta_ins_before_leap": bool(ins_before), "dmesg_inserting_leap_second": inserted_msg}
    rt_minus_raw = [r["utc_rt"] - r["utc_raw"] for r in rows]
    rt_jumps = [{"t": b["t"], "s": round((y - x) / S, 6)} for (a, x), (b, y) in zip(zip(rows, rt_minus_raw), zip(rows[1:], rt_minus_raw[1:]))
                if abs(y - x) > 100_000_000]
    metrics["guest_realtime_jumps"] = rt_jumps
    # Guest - served UTC from reads fast enough to resolve 100 us (delay <= 200 us), 30 s before the leap and from
    # 10 s after it to the end (guest wall clock seconds).
    fast = [r for r in rows if r.get("utc_rt_d", 0) <= RESOLVING_DELAY_NS]
    pre = [r["utc_rt"] for r in fast if leap_at - 30 <= r["wall"] < leap_at - 1]
    post = [r["utc_rt"] for r in fast if r["wall"] >= leap_at + 10]
    metrics["guest_minus_served_utc_us"] = {"before_leap_max_abs": round(max((abs(v) for v in pre), default=0) / 1e3, 1), "before_reads": len(pre), "end_reads": len(post),
                                            "end_max_abs": round(max((abs(v) for v in post), default=0) / 1e3, 1)}
    if policy == "kernel":
        check(checks, "kernel policy: STA_INS set before the leap", ins_before, metrics["kernel"])
        check(checks, "kernel policy: the kernel inserted the second (dmesg 'inserting leap second', or TIME_OOP/TIME_WAIT seen)",
              inserted_msg or any(s in (3, 4) for s in states[leap_row or 0:]), metrics["kernel"])
        check(checks, "kernel policy: kernel TAI offset 37 -> 38", tai_before == 37 and kernel[-1].get("tai") == 38,
              [tai_before, kernel[-1].get("tai")])
        check(checks, "kernel policy: CLOCK_REALTIME went back 1 s once (the kernel's inserted second), nothing else",
              len(rt_jumps) == 1 and abs(rt_jumps[0]["s"] + 1) < 1e-2, rt_jumps)
        leap_steps = [line for line in _sync_log_lines(run_dir) if re.search(r"Step = -?9\d{8} ns|Step = -?1\d{9} ns", line)]
        check(checks, "kernel policy: the daemon itself did not step by a second (the kernel did it)", not leap_steps,
              [line[:120] for line in leap_steps] or None)
        check(checks, "guest within 100 us of served UTC 30 s before the leap and from 10 s after it (reads <= 200 us)",
              bool(pre) and bool(post) and all(abs(v) < SYNCED_NS for v in pre) and all(abs(v) < SYNCED_NS for v in post),
              metrics["guest_minus_served_utc_us"])
    else:
        check(checks, f"{policy} policy: CLOCK_REALTIME never stepped backwards", all(x["s"] > 0 for x in rt_jumps), rt_jumps or None)

def analyze_truth(run_dir, guest, checks, metrics):
    """truth: see truth.py. Checks the truth itself (matched writes); coverage figures go to the metrics."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import truth  # noqa: E402  (deploy/vmlab/truth.py)
    report = truth.analyze(run_dir)
    metrics["truth"] = report
    check(checks, "truth: probe writes matched to QEMU's trace", report.get("matched", 0) >= 0.99 * max(1, report.get("probe_writes", 0)),
          f"{report.get('matched')}/{report.get('probe_writes')}")
    part = report.get("narrowest") or {}
    t = part.get("truth") or {}
    check(checks, "truth: seconds after settle", (t.get("seconds") or 0) > 0, t.get("seconds"))
    if report.get("daemon") == "virtsync":
        # Issue 11's targets for virtsync: no second where a published bound is certainly violated, ClockBound
        # Synchronized within 30 s, FreeRunning while the back end is gone (runs with an outage).
        for name in ("kernel_maxerror_as_written", "clockbound_bound", "clockbound_client_interval"):
            c = (part.get("coverage") or {}).get(name) or {}
            check(checks, f"truth: {name} never certainly violated", c.get("certain_violations") == 0,
                  f"{c.get('certain_violations')}/{c.get('seconds')} s, median bound {c.get('median_bound_ns')} ns")
        every = report.get("clockbound_every_read") or {}
        check(checks, "truth: no ClockBound client interval excluded the truth (every read)", every.get("certain_violations") == 0,
              f"{every.get('certain_violations')}/{every.get('reads')}")
        after = report.get("clockbound_synchronized_after_s")
        check(checks, "truth: ClockBound Synchronized within 30 s of start", after is not None and after <= 30, after)
        o = report.get("outage")
        if o:
            check(checks, "truth: ClockBound FreeRunning while the back end is gone", o.get("freerunning_after_kill_s") is not None,
                  o.get("freerunning_after_kill_s"))


def analyze_pause(run_dir, guest, checks, metrics):
    """pause: see pause.py (recovery after each QMP stop/cont against the built-in device; steps from the daemon's log)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pause  # noqa: E402  (deploy/vmlab/pause.py)
    report = pause.analyze(run_dir, daemon=guest.get("daemon", "virtsync"))
    metrics["pause"] = report
    for name, ok, value in pause.checks(report):
        check(checks, name, ok, value)


def analyze_systemd(run_dir, guest, checks, metrics):
    """systemd: see systemdlab.py (journal fields, readiness, watchdog and restarts from the unit's journal)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import systemdlab  # noqa: E402  (deploy/vmlab/systemdlab.py)
    report = systemdlab.analyze(run_dir)
    report["systemd_version"] = guest.get("systemd_version")
    report["root"] = guest.get("root")
    metrics["systemd"] = report
    for name, ok, value in systemdlab.checks(report):
        check(checks, name, ok, value)


def analyze_foreign(run_dir, guest, checks, metrics):
    """foreign: see foreign.py (chronyd beside virtsync: detection, hands off while yielding, resume after it is gone)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import foreign  # noqa: E402  (deploy/vmlab/foreign.py)
    report = foreign.analyze(run_dir)
    metrics["foreign"] = report
    for name, ok, value in foreign.checks(report):
        check(checks, name, ok, value)


def analyze_snapshot(run_dir, guest, checks, metrics):
    """snapshot: what blocks saving the VM (QMP query-migrate's blocked-reasons, migrate's reply) and the vmclock page
    the daemon watches (virtsyncd clocks --json before and after: the disruption marker)."""
    def qmp_reply(name):
        path = os.path.join(run_dir, name)
        if not os.path.exists(path):
            return None
        with open(path, errors="replace") as f:
            lines = [l for l in f if l.strip().startswith("{")]
        return json.loads(lines[-1]) if lines else None
    before = qmp_reply("migrate-query-before.json") or {}
    migrate = qmp_reply("migrate.json") or {}
    snap = {"blocked_reasons": (before.get("return") or {}).get("blocked-reasons"),
            "migrate_reply": migrate.get("error", {}).get("desc") if "error" in migrate else migrate.get("return")}
    for when in ("start", "end"):
        page = load_json(os.path.join(run_dir, "out", f"clocks-{when}.json"), {}) or {}
        snap[f"vmclock_{when}"] = page.get("vmclock") if isinstance(page, dict) else None
    metrics["snapshot"] = snap
    check(checks, "snapshot: nothing blocks saving the VM (query-migrate blocked-reasons)", not snap["blocked_reasons"], snap["blocked_reasons"])


ANALYZERS = {
    "systemd": analyze_systemd,
    "truth": analyze_truth,
    "snapshot": analyze_snapshot,
    "foreign": analyze_foreign,
    "pause": analyze_pause,
    "builtin-probe": analyze_builtin_probe,
    "accuracy-chrony": analyze_accuracy,
    "accuracy-virtsync": analyze_accuracy,
    "chrony-agent": analyze_accuracy,
    "qemu-builtin": analyze_accuracy,
    "faults": analyze_faults,
    "leap": analyze_leap,
}


def fmt(v):
    if isinstance(v, float):
        return f"{v:.1f}"
    if isinstance(v, (dict, list)):
        s = json.dumps(v, separators=(",", ":"))
        return s if len(s) <= 70 else s[:67] + "..."
    return str(v)


def print_table(report):
    print(f"== vmlab {report['scenario']}: {'PASS' if report['pass'] else 'FAIL'}")
    boot = report.get("boot") or {}
    print(f"   boot: {boot.get('wall_s')} s wall, init at {boot.get('guest_uptime_at_init_s')} s uptime, "
          f"accel {boot.get('accel')}, guest exit {boot.get('exit_code')}, timed out {boot.get('timed_out')}")
    for c in report["checks"]:
        print(f"   [{'ok' if c['ok'] else 'FAIL':>4}] {c['name']}: {fmt(c['value'])}")
    for p in report["metrics"].get("probes", []):
        if "error" in p:
            print(f"   probe {p['file']}: {p['error']}")
            continue
        g = p.get("gated_floor", {})
        print(f"   probe {p['file']:<30} {p['calls_per_second']:>5.0f}/s min delay {p['delay_ns']['min'] / 1e3:5.1f} us;"
              f" noise std (us): fastest {p['best']['std_ns'] / 1e3:5.2f}, median {p['median']['std_ns'] / 1e3:5.2f},"
              f" gated floor {fmt(g.get('std_ns', float('nan')) / 1e3)} ({p['gated_fraction'] * 100:.0f} % of s kept),"
              f" corrected {p['corrected']['std_ns'] / 1e3:.2f} (max {p['corrected']['max_dev_ns'] / 1e3:.2f},"
              f" K fitted {p.get('asymmetry_k_fitted')})")
    for key in ("reference_probe", "reference_probe_gated", "reference_probe_raw"):
        a = report["metrics"].get(key)
        if a and a.get("settled"):
            s = a["settled"]
            print(f"   {key}: bias {s['mean_ns'] / 1e3:.2f} us, std {s['std_ns'] / 1e3:.2f} us, max dev "
                  f"{s['max_dev_ns'] / 1e3:.2f} us, p99 dev {s['p99_dev_ns'] / 1e3:.2f} us, converged at "
                  f"{a.get('converged_at_s')} s (band {a.get('converge_band_ns', 0) / 1e3:.0f} us)")
    rd = report["metrics"].get("read_delay") or {}
    for role in ("served", "reference"):
        if role in rd:
            a, f = rd[role]["all"], rd[role]["after_first"]
            print(f"   READ delay {role:<9} {rd[role]['device']}: {a['n']} READs, median {a['median_ns'] / 1e3:.1f} us,"
                  f" p99 {a['p99_ns'] / 1e3:.1f} us, min {a['min_ns'] / 1e3:.1f} us; without each call's first:"
                  f" median {f['median_ns'] / 1e3:.1f} us, p99 {f['p99_ns'] / 1e3:.1f} us")
    if "ratio_all" in rd:
        print(f"   READ delay served/reference: all {fmt(rd['ratio_all'])}, without first {fmt(rd['ratio_after_first'])}")
    pn = report["metrics"].get("probe_noise")
    if pn and "error" not in pn:
        print(f"   probe noise (vs CLOCK_MONOTONIC_RAW, {pn.get('seconds')} s): std (us) fastest {pn['best']['std_ns'] / 1e3:.2f},"
              f" corrected {pn['corrected']['std_ns'] / 1e3:.2f} (max {pn['corrected']['max_dev_ns'] / 1e3:.2f})")
    for name, value in report["metrics"].items():
        if name in ("probes", "reference_probe", "reference_probe_gated", "reference_probe_raw", "read_delay",
                    "probe_noise"):
            continue
        print(f"   {name}: {fmt(value)}")


def load_average(path):
    """Min, mean and max of the host's 1-minute load average sampled by run.sh (lines: unix-time 1m 5m 15m)."""
    values = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    values.append(float(parts[1]))
    except (OSError, ValueError):
        pass
    if not values:
        return None
    return {"samples": len(values), "min": min(values), "mean": round(sum(values) / len(values), 1), "max": max(values)}


def pair_main(argv):
    """analyze.py --pair SCENARIO PAIR_DIR OUTPUT_JSON FED_LEG PHC_LEG: the two legs' reports (written by their own
    runs as PAIR_DIR/LEG.json) side by side. Passes when both legs pass, the fed leg stays within 1 ms of the
    reference after its first step, and its std is at most the other leg's from 60 s and from 120 s."""
    scenario, pair_dir, output, fed, phc = argv[2:7]
    legs = {name: load_json(os.path.join(pair_dir, name + ".json")) for name in (fed, phc)}
    checks = []
    for name, report in legs.items():
        check(checks, f"{name} ran and passed", bool(report and report.get("pass")),
              None if report else "no report")
    def metric(name, *keys):
        v = (legs.get(name) or {}).get("metrics", {})
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        return v
    step = metric(fed, "after_first_step") or {}
    check(checks, f"{fed} within 1 ms of the reference after the first step", bool(step.get("within")),
          step.get("max_abs_ns"))
    for start in ("60", "120"):
        a, b = metric(fed, "windows", start, "std_ns"), metric(phc, "windows", start, "std_ns")
        check(checks, f"{fed} std <= {phc} std from {start} s", a is not None and b is not None and a <= b,
              [a, b])
    load = load_average(os.path.join(pair_dir, "loadavg.txt"))
    report = {"scenario": scenario, "pass": all(c["ok"] for c in checks), "legs": [fed, phc], "checks": checks,
              "host_load_1m": load,
              "metrics": {name: {"after_first_step": metric(name, "after_first_step"), "windows": metric(name, "windows")}
                          for name in (fed, phc)}}
    with open(output, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"== vmlab {scenario}: {'PASS' if report['pass'] else 'FAIL'} ({fed} and {phc} in two guests at the same time)")
    for name in (fed, phc):
        m = report["metrics"][name]
        s = m["after_first_step"] or {}
        line = f"   {name:<16} max |err| after first step {fmt((s.get('max_abs_ns') or float('nan')) / 1e3)} us"
        for start, w in (m["windows"] or {}).items():
            if w:
                line += (f"; from {start} s bias {w['mean_ns'] / 1e3:.2f} std {w['std_ns'] / 1e3:.2f}"
                         f" max dev {w['max_dev_ns'] / 1e3:.2f} us")
        print(line)
    for c in checks:
        print(f"   [{'ok' if c['ok'] else 'FAIL':>4}] {c['name']}: {fmt(c['value'])}")
    if load:
        print(f"   host load (1 min): min {load['min']:.1f}, mean {load['mean']:.1f}, max {load['max']:.1f}"
              f" ({load['samples']} samples)")
    return 0 if report["pass"] else 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "--pair":
        if len(argv) < 7:
            print(pair_main.__doc__, file=sys.stderr)
            return 2
        return pair_main(argv)
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    scenario, run_dir, output = argv[1], argv[2], argv[3]
    boot_rc = int(argv[argv.index("--boot-rc") + 1]) if "--boot-rc" in argv else None
    boot = load_json(os.path.join(run_dir, "boot.json"), {})
    guest = load_json(os.path.join(run_dir, "result.json"))
    checks, metrics = [], {}
    check(checks, "guest finished in time", not boot.get("timed_out", True), boot.get("wall_s"))
    check(checks, "guest result JSON", isinstance(guest, dict), None if isinstance(guest, dict) else "missing or invalid")
    guest = guest if isinstance(guest, dict) else {}
    for c in guest.get("checks") or []:
        check(checks, c.get("name", "?"), c.get("ok"), c.get("value"))
    extra = load_json(os.path.join(run_dir, "host-checks.json"), [])
    for c in extra:
        check(checks, c.get("name", "?"), c.get("ok"), c.get("value"))
    analyzer = ANALYZERS.get(scenario)
    if analyzer:
        try:
            analyzer(run_dir, guest, checks, metrics)
        except Exception as e:  # the report must still be written
            check(checks, "analysis", False, f"{type(e).__name__}: {e}")
    passed = bool(guest.get("pass")) and all(c["ok"] for c in checks)
    report = {"scenario": scenario, "pass": passed, "boot_rc": boot_rc, "boot": boot, "checks": checks,
              "metrics": metrics, "guest": guest, "run_dir": os.path.abspath(run_dir)}
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print_table(report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
