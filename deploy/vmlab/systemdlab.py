#!/usr/bin/env python3
"""Analysis of the `systemd` lab scenario (standard library only; analyze.py calls analyze() and checks()).

    systemdlab.py RUN_DIR [--json FILE]

Reads what scenarios/systemd.guest.sh left in RUN_DIR/out/systemd/:
  journal-virtsyncd.json   `journalctl -u virtsyncd.service -o json`: the daemon's entries and systemd's about the unit
  events.txt               "<uptime s> <what the scenario did>" (SIGSTOP PID, SIGKILL PID, ...)
  show-after-start.txt     `systemctl show virtsyncd.service` once it was active the first time
and reports:
  journal    the daemon's entries: SYSLOG_IDENTIFIER, PRIORITY values, its own structured fields (VIRTSYNC_*)
  readiness  seconds from ExecMainStart to the first reading's log line and to ActiveEnter (Type=notify READY=1)
  watchdog   seconds from the SIGSTOP to systemd's "Watchdog timeout" and to the restarted daemon's first reading
  restarts   per daemon invocation (_SYSTEMD_INVOCATION_ID): the clock steps it logged ("stepped the clock by X s
             (reason: R)")
/proc/uptime (the scenario's events) and the journal's monotonic stamps are the same clock in a guest that never
suspends.
"""
import json
import os
import re
import sys

STEP = re.compile(r"stepped the clock by ([+-]?[0-9.]+) s \(reason: ([a-z-]+)\)")
READY = "READY: first estimate"
# A restarted daemon found the clock synchronized: a step beyond this would be a restart disturbing the clock.
RESTART_STEP_LIMIT_S = 0.001


def _message(entry):
    m = entry.get("MESSAGE", "")
    if isinstance(m, list):  # journalctl gives non-UTF-8 messages as byte arrays
        m = bytes(b & 0xFF for b in m if isinstance(b, int)).decode("utf-8", "replace")
    return m or ""


def _mono_s(entry):
    v = entry.get("_SOURCE_MONOTONIC_TIMESTAMP") or entry.get("__MONOTONIC_TIMESTAMP")
    return int(v) / 1e6 if v not in (None, "") else None


def load_journal(path):
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pass
    return entries


def load_show(path):
    props = {}
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    props[key] = value
    return props


def load_events(path):
    events = []
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                t, _, what = line.strip().partition(" ")
                try:
                    events.append((float(t), what))
                except ValueError:
                    pass
    return events


def _seconds(value):
    """systemd's time span ("30s", "1min 30s", "500ms") in seconds."""
    total, units = 0.0, {"us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600}
    for number, unit in re.findall(r"([0-9.]+)\s*(us|ms|min|s|h)", value or ""):
        total += float(number) * units[unit]
    return total or None


def _event_time(events, prefix):
    for t, what in events:
        if what.startswith(prefix):
            return t, what
    return None, None


def analyze(run_dir):
    base = os.path.join(run_dir, "out", "systemd")
    journal = load_journal(os.path.join(base, "journal-virtsyncd.json"))
    show = load_show(os.path.join(base, "show-after-start.txt"))
    events = load_events(os.path.join(base, "events.txt"))
    daemon = [e for e in journal if e.get("_PID") != "1" and e.get("_COMM", e.get("SYSLOG_IDENTIFIER")) == "virtsyncd"]
    manager = [e for e in journal if e.get("_PID") == "1"]
    report = {}

    own_fields = sorted({k for e in daemon for k in e if k.startswith("VIRTSYNC_")})
    report["journal"] = {
        "daemon_entries": len(daemon),
        "systemd_entries": len(manager),
        "syslog_identifiers": sorted({e.get("SYSLOG_IDENTIFIER", "") for e in daemon}),
        "without_priority": sum(1 for e in daemon if "PRIORITY" not in e),
        "priorities": sorted({e.get("PRIORITY") for e in daemon if "PRIORITY" in e}),
        "structured_fields": own_fields,
        "invocations": len({e.get("_SYSTEMD_INVOCATION_ID") for e in daemon if e.get("_SYSTEMD_INVOCATION_ID")}),
    }

    start = int(show.get("ExecMainStartTimestampMonotonic") or 0) / 1e6 or None
    active = int(show.get("ActiveEnterTimestampMonotonic") or 0) / 1e6 or None
    first_ready = next((e for e in daemon if READY in _message(e)), None)
    ready_at = _mono_s(first_ready) if first_ready else None
    # journald stamps entries when it receives them (its lag under TCG is ~0.5 s): the order of the daemon's and
    # systemd's own entries is the evidence, not ExecMainStart/ActiveEnter against a log line.
    first_inv = next((e.get("_SYSTEMD_INVOCATION_ID") for e in daemon), None)
    loop_started = next((e for e in daemon if e.get("_SYSTEMD_INVOCATION_ID") == first_inv
                         and _message(e).startswith("sync started")), None)
    started = next((e for e in manager if _message(e).startswith("Started virtsyncd")), None)
    first_step = next((e for e in daemon if e.get("_SYSTEMD_INVOCATION_ID") == first_inv and STEP.search(_message(e))), None)
    report["readiness"] = {
        "exec_start_s": start,
        "active_enter_s": active,
        "first_reading_log_s": ready_at,
        "active_after_start_s": round(active - start, 3) if start and active else None,
        "first_reading_after_start_s": round(ready_at - start, 3) if start and ready_at else None,
        "loop_started_s": _mono_s(loop_started) if loop_started else None,
        "unit_started_entry_s": _mono_s(started) if started else None,
        "first_step_s": _mono_s(first_step) if first_step else None,
        "first_step": STEP.search(_message(first_step)).group(1) if first_step else None,
        "status_text": show.get("StatusText"),
        "watchdog_s": _seconds(show.get("WatchdogUSec")),
    }

    stop_t, stop_what = _event_time(events, "SIGSTOP")
    wd = {"sigstop_at_s": stop_t}
    if stop_t is not None:
        fired = next((e for e in manager if "atchdog timeout" in _message(e) and (_mono_s(e) or 0) >= stop_t), None)
        result = next((e for e in manager if "result 'watchdog'" in _message(e) and (_mono_s(e) or 0) >= stop_t), None)
        again = next((e for e in daemon if READY in _message(e) and (_mono_s(e) or 0) >= stop_t), None)
        wd["timeout_after_s"] = round(_mono_s(fired) - stop_t, 3) if fired else None
        wd["result_watchdog"] = result is not None
        wd["reading_again_after_s"] = round(_mono_s(again) - stop_t, 3) if again else None
        back_t, _ = _event_time(events, "after SIGSTOP")
        wd["active_again_after_s"] = round(back_t - stop_t, 3) if back_t else None
    report["watchdog"] = wd

    kill_t, _ = _event_time(events, "SIGKILL")
    kill = {"sigkill_at_s": kill_t}
    if kill_t is not None:
        again = next((e for e in daemon if READY in _message(e) and (_mono_s(e) or 0) >= kill_t), None)
        kill["reading_again_after_s"] = round(_mono_s(again) - kill_t, 3) if again else None
        back_t, _ = _event_time(events, "after SIGKILL")
        kill["active_again_after_s"] = round(back_t - kill_t, 3) if back_t else None
    report["sigkill"] = kill

    invocations, order = {}, []
    for e in daemon:
        inv = e.get("_SYSTEMD_INVOCATION_ID") or "?"
        if inv not in invocations:
            invocations[inv] = []
            order.append(inv)
        m = STEP.search(_message(e))
        if m:
            invocations[inv].append({"at_s": _mono_s(e), "step_s": float(m.group(1)), "reason": m.group(2)})
    report["restarts"] = [{"invocation": i, "steps": invocations[i]} for i in order]
    return report


def checks(report):
    out = []
    j = report.get("journal") or {}
    out.append(("journal: the daemon's entries carry SYSLOG_IDENTIFIER=virtsyncd",
                j.get("daemon_entries", 0) > 0 and j.get("syslog_identifiers") == ["virtsyncd"],
                {"entries": j.get("daemon_entries"), "identifiers": j.get("syslog_identifiers")}))
    out.append(("journal: every entry has a PRIORITY, more than one level used",
                j.get("daemon_entries", 0) > 0 and j.get("without_priority") == 0 and len(j.get("priorities") or []) >= 2,
                j.get("priorities")))
    out.append(("journal: structured fields (VIRTSYNC_*)", bool(j.get("structured_fields")), j.get("structured_fields")))
    r = report.get("readiness") or {}
    ok = (r.get("loop_started_s") is not None and r.get("unit_started_entry_s") is not None
          and r["unit_started_entry_s"] > r["loop_started_s"] and r.get("first_reading_log_s") is not None)
    out.append(("readiness: activating until the sync loop read (systemd's 'Started' after 'sync started')", ok,
                {"first_reading_after_start_s": r.get("first_reading_after_start_s"),
                 "active_after_start_s": r.get("active_after_start_s")}))
    # time-sync.target (Before= in the unit) promises a synchronized clock: the startup step must come before READY=1.
    step_t, started_t = r.get("first_step_s"), r.get("unit_started_entry_s")
    out.append(("readiness: the startup step came before READY=1 (time-sync.target)",
                started_t is not None and (step_t is None or step_t <= started_t),
                {"first_step_s": r.get("first_step"), "step_minus_started_s": round(step_t - started_t, 3) if step_t and started_t else None}))
    w = report.get("watchdog") or {}
    limit = r.get("watchdog_s")
    fired = w.get("timeout_after_s")
    # The daemon pings every WatchdogSec/2: the last ping was 0..WatchdogSec/2 before the SIGSTOP.
    out.append(("watchdog: systemd's timeout fired WatchdogSec/2..WatchdogSec (+5 s) after SIGSTOP",
                fired is not None and limit is not None and limit / 2 - 1 <= fired <= limit + 5,
                {"watchdog_s": limit, "timeout_after_s": fired, "active_again_after_s": w.get("active_again_after_s")}))
    out.append(("watchdog: unit result 'watchdog', then a new reading", bool(w.get("result_watchdog")) and w.get("reading_again_after_s") is not None,
                w.get("reading_again_after_s")))
    restarted = (report.get("restarts") or [])[1:]
    bad = [s for inv in restarted for s in inv["steps"] if s["reason"] != "startup" or abs(s["step_s"]) > RESTART_STEP_LIMIT_S]
    out.append((f"restarts: no step beyond {RESTART_STEP_LIMIT_S * 1e3:.0f} ms (startup only) by a restarted daemon",
                len(restarted) >= 2 and not bad,
                {"restarted_invocations": len(restarted), "steps": [s["step_s"] for inv in restarted for s in inv["steps"]],
                 "bad": bad}))
    return out


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = analyze(argv[1])
    report["checks"] = [{"name": n, "ok": bool(ok), "value": v} for n, ok, v in checks(report)]
    if "--json" in argv:
        with open(argv[argv.index("--json") + 1], "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    for c in report["checks"]:
        print(f"[{'ok' if c['ok'] else 'FAIL':>4}] {c['name']}: {json.dumps(c['value'])}")
    return 0 if all(c["ok"] for c in report["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
