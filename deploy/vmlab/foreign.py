"""foreign scenario analysis (deploy/vmlab/scenarios/foreign.*): chronyd started beside a steering virtsyncd.
From the guest's events (chrony_start, chrony_stop: guest wall time), virtsync's log (lines stamped HH:MM:SS.mmm,
guest wall time), the kernel's clock state every 0.5 s (guestclock show, clock_adjtime modes 0) and the reference probe
(QEMU's built-in device, read by phcread, never by virtsync):
  - detection_s: from chronyd's start to virtsync's `another program is steering the system clock` (target <= 10 s),
  - chronyd_changed_state: the kernel's frequency/tick/status moved while chronyd ran (the detection was of a real write),
  - quiet_while_yielding: from 2 s after chronyd stopped (its exit) until virtsync's `steering again`, the kernel's
    frequency, tick and status did not move: nobody wrote, virtsync included, and virtsync logged no step,
  - resumed_after_stop_s: from chronyd's stop to `steering again` (virtsync must not resume while chronyd runs),
  - steering_after_resume: the kernel state moves again after the resume (virtsync writes), and the reference's offset
    over the last 10 probe seconds (virtsync back on its source).
"""
import os
import re

import labreport

DETECT = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) \w+: .*another program is steering the system clock \((.*)\): stopped steering")
RESUME = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) \w+: .*left alone for ([\d.]+) s: steering again")
STEP = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) \w+: .*stepped the clock by ([-+][\d.]+) s \(reason: (\w+)\)")
DAY = 86400
EXIT_GRACE_S = 2.0
BAND_NS = 50_000


def _log(path):
    """(kind, seconds of the day, match) for each detection, resume and step line of virtsync's log."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            for kind, pattern in (("detect", DETECT), ("resume", RESUME), ("step", STEP)):
                m = pattern.search(line)
                if m:
                    out.append((kind, int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)), m))
    return out


def _to_epoch(sod, near):
    """Seconds of the day (a log stamp) to epoch seconds, on the day nearest to `near` (epoch)."""
    base = near - near % DAY
    candidates = [base - DAY + sod, base + sod, base + DAY + sod]
    return min(candidates, key=lambda t: abs(t - near))


def _kernel_key(row):
    """What a writer sets: frequency (freq and tick) and the status word."""
    return (round(row.get("freq_ppm", 0), 6), row.get("tick"), row.get("status"))


def analyze(run_dir, out_dir=None):
    out_dir = out_dir or os.path.join(run_dir, "out")
    events = {e["event"]: e["guest_wall"] for e in labreport.read_jsonl(os.path.join(out_dir, "events.jsonl")) if "event" in e}
    timex = [r for r in labreport.read_jsonl(os.path.join(out_dir, "timex.jsonl")) if "time" in r]
    rows = [r for r in labreport.read_jsonl(os.path.join(out_dir, "reference.jsonl")) if "best_offset_ns" in r]
    report = {"events": events, "timex_reads": len(timex), "probe_seconds": len(rows)}
    start, stop = events.get("chrony_start"), events.get("chrony_stop")
    if start is None or stop is None:
        report["error"] = "chronyd start/stop events missing"
        return report
    lines = [(k, _to_epoch(sod, start), m) for k, sod, m in _log(os.path.join(out_dir, "virtsyncd-sync.log"))]
    detects = [(t, m.group(4)) for k, t, m in lines if k == "detect"]
    resumes = [t for k, t, m in lines if k == "resume"]
    steps = [{"at_s": round(t - start, 3), "seconds": float(m.group(4)), "reason": m.group(5)} for k, t, m in lines if k == "step"]
    report["detections"] = [{"at_s": round(t - start, 3), "change": c} for t, c in detects]
    report["resumes_at_s"] = [round(t - start, 3) for t in resumes]
    report["steps"] = steps
    first = next((t for t, _ in detects if t >= start), None)
    report["detection_s"] = round(first - start, 3) if first is not None else None
    report["detected_before_chronyd_start"] = [round(t - start, 3) for t, _ in detects if t < start]
    if "virtsync_ready" in events:
        report["virtsync_ready_before_chronyd_s"] = round(start - events["virtsync_ready"], 3)
    resume = next((t for t in resumes if first is not None and t > first), None)
    report["resumed_after_stop_s"] = round(resume - stop, 3) if resume is not None else None
    # The kernel's state while chronyd ran, and from its exit to virtsync's resume.
    during = [r for r in timex if start <= r["time"] < stop]
    report["chronyd_changed_state"] = len({_kernel_key(r) for r in during}) > 1
    report["chronyd_frequency_ppm"] = [round(min(r["freq_ppm"] for r in during), 3), round(max(r["freq_ppm"] for r in during), 3)] if during else None
    quiet_end = resume if resume is not None else (timex[-1]["time"] if timex else stop)
    quiet = [r for r in timex if stop + EXIT_GRACE_S <= r["time"] < quiet_end]
    keys = [_kernel_key(r) for r in quiet]
    report["quiet_reads"] = len(quiet)
    report["quiet_state_changes"] = sum(1 for a, b in zip(keys, keys[1:]) if a != b)
    report["steps_while_yielding"] = [s for s in steps if first is not None and first - start <= s["at_s"] < (quiet_end - start)]
    if resume is not None:
        later = [_kernel_key(r) for r in timex if r["time"] >= resume]
        report["state_changes_after_resume"] = sum(1 for a, b in zip(later, later[1:]) if a != b)
    tail = rows[-10:]
    if tail:
        report["reference_last_10_s_max_abs_us"] = round(max(abs(r["median_offset_ns"]) for r in tail) / 1e3, 1)
    after = [r for r in rows if resume is not None and r.get("wall", 0) >= resume]
    report["reference_after_resume_max_abs_us"] = round(max((abs(r["median_offset_ns"]) for r in after), default=0) / 1e3, 1)
    return report


def checks(report):
    """(name, ok, value) for the verdict: issue 13's target for a second time daemon."""
    if "error" in report:
        return [("foreign: chronyd started and stopped beside virtsync", False, report["error"])]
    ready = [("foreign: virtsync was steering (READY) before chronyd started", report["virtsync_ready_before_chronyd_s"] > 0,
              report["virtsync_ready_before_chronyd_s"])] if "virtsync_ready_before_chronyd_s" in report else []
    return ready + [
        ("foreign: chronyd changed the kernel's clock state while it ran", report["chronyd_changed_state"], report["chronyd_frequency_ppm"]),
        ("foreign: virtsync detected chronyd within 10 s of its start", report["detection_s"] is not None and report["detection_s"] <= 10,
         report["detection_s"]),
        ("foreign: no detection before chronyd started (no false alarm)", not report["detected_before_chronyd_start"],
         report["detected_before_chronyd_start"] or None),
        ("foreign: exactly one detection", len(report["detections"]) == 1, [d["change"][:60] for d in report["detections"]]),
        ("foreign: resumed only after chronyd was gone", report["resumed_after_stop_s"] is not None and report["resumed_after_stop_s"] > 0,
         report["resumed_after_stop_s"]),
        ("foreign: nothing wrote the clock from chronyd's exit to virtsync's resume (kernel state unchanged, no step)",
         report["quiet_reads"] > 0 and report["quiet_state_changes"] == 0 and not report["steps_while_yielding"],
         f"{report['quiet_state_changes']} changes in {report['quiet_reads']} reads"),
        ("foreign: virtsync steers again after resuming", (report.get("state_changes_after_resume") or 0) > 0,
         report.get("state_changes_after_resume")),
        ("foreign: within 50 us of the reference over the last 10 probe seconds",
         report.get("reference_last_10_s_max_abs_us") is not None and report["reference_last_10_s_max_abs_us"] < BAND_NS / 1e3,
         report.get("reference_last_10_s_max_abs_us")),
    ]


if __name__ == "__main__":
    import sys
    sys.exit(labreport.main(sys.argv, "usage: foreign.py RUN_DIR [--json OUT]", analyze, checks))
