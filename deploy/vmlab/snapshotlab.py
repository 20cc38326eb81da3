"""snapshot-restore analysis (deploy/vmlab/snapshot-restore.sh): the guest was saved to a file and restored in a new
QEMU (events.jsonl: the save as a `stop`, the restore's `cont` as the end of a pause of the gap). From the daemon's
log and the reference probe, laid out as the pause scenario's (pause.py does the recovery figures):
  - page_markers: the vmclock page's disruption marker as `virtsyncd clocks --json` read it in the guest (console.log's
    @@CLOCKS lines: after boot, and at the end, after the restore): QEMU bumps it in vmclock_post_load,
  - marker: virtsyncd logged `vmclock disruption marker changed (A -> B)` after the restore, once,
  - acted before the jump: that line comes before the jump's step in the log (the marker is read before each reading),
  - marker_after_resume_s / marker_after_cont_answer_s: when the marker line was logged, on the host's clock, after
    the `cont` was sent / after QEMU answered it (qmp_cont starts the VM before it answers, so from the answer on the
    guest runs; the time between the two is QMP's, not the guest's). The log's stamps are the guest's wall clock,
    which is behind by the jump until the step: the marker line is moved by the step's size (the reference is the
    host's clock), good to the step's own error (< 1 ms). The target is one read interval (READ_INTERVAL_S,
    sources:readIntervalSeconds' default 0.25 s) from the answer: the marker is read before every reading,
  - marker_to_step_s: from the marker line to the jump's step line (both stamped before the clock moved),
  - recovery_s, steps: as pause.py (back within 50 us and held to the end of the data, in <= 5 s after `cont`).
"""
import os
import re
import sys

import labreport
import pause

READ_INTERVAL_S = 0.25
STAMP = r"^(\d\d):(\d\d):(\d\d\.\d+) "
MARKER = re.compile(STAMP + r".*vmclock disruption marker changed \((\d+) -> (\d+)")
PAGE_MARKER = re.compile(r'"disruption_marker":\s*(\d+)')
JUMP_STEP = re.compile(STAMP + r".*stepped the clock by ([-+][\d.]+) s \(reason: jump\)")


def _seconds(m):
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def analyze(run_dir):
    report = pause.analyze(run_dir, daemon="virtsync")
    markers, steps = [], []
    path = os.path.join(run_dir, "out", "virtsyncd-sync.log")
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for n, line in enumerate(f):
                if m := MARKER.search(line):
                    markers.append({"line": n, "at_s": _seconds(m), "from": int(m.group(4)), "to": int(m.group(5))})
                elif m := JUMP_STEP.search(line):
                    steps.append({"line": n, "at_s": _seconds(m), "seconds": float(m.group(4))})
    report["page_markers"] = []
    console = os.path.join(run_dir, "console.log")
    if os.path.exists(console):
        with open(console, errors="replace") as f:
            for line in f:
                if line.startswith("@@CLOCKS ") and (m := PAGE_MARKER.search(line)):
                    report["page_markers"].append(int(m.group(1)))
    report["vmclock_markers"] = markers
    report["jump_steps"] = steps
    if markers and steps:
        m, s = markers[0], steps[0]
        report["marker_before_jump_step"] = m["line"] < s["line"]
        to_step = s["at_s"] - m["at_s"]
        if to_step > abs(s["seconds"]) / 2:  # a logger that stamps after the clock moved
            to_step -= s["seconds"]
        report["marker_to_step_s"] = round(to_step, 3)
        conts = [e for e in pause._events(run_dir) if e.get("event") == "cont"]
        if conts:
            sent, answered = conts[-1].get("sent_wall", conts[-1]["host_wall"]), conts[-1]["host_wall"]
            day = sent - sent % 86400
            # A line logged before the step is stamped on the guest's clock as it came back (behind by the jump).
            marker_host = day + m["at_s"] + (s["seconds"] if m["line"] < s["line"] else 0)
            if marker_host - sent < -43200:  # the guest's stamp is of the next UTC day
                marker_host += 86400
            elif marker_host - sent > 43200:
                marker_host -= 86400
            report["marker_after_resume_s"] = round(marker_host - sent, 3)
            report["marker_after_cont_answer_s"] = round(marker_host - answered, 3)
    report["read_interval_s"] = READ_INTERVAL_S
    return report


def checks(report):
    pages = report["page_markers"]
    out = [("snapshot: the vmclock page's marker changed over the restore (clocks --json before, after)",
            len(pages) >= 2 and pages[-1] != pages[0], pages),
           ("snapshot: vmclock disruption marker change logged once after the restore", len(report["vmclock_markers"]) == 1,
            [(m["from"], m["to"]) for m in report["vmclock_markers"]]),
           ("snapshot: the marker was acted on before the jump step", report.get("marker_before_jump_step") is True,
            report.get("marker_to_step_s")),
           ("snapshot: the marker was seen within one read interval after QEMU answered `cont` (host clock)",
            report.get("marker_after_cont_answer_s") is not None
            and report["marker_after_cont_answer_s"] <= report["read_interval_s"],
            [report.get("marker_after_cont_answer_s"), report.get("marker_after_resume_s")])]
    return out + [(name.replace("pause", "restore", 1), ok, value) for name, ok, value in pause.checks(report)]


if __name__ == "__main__":
    sys.exit(labreport.main(sys.argv, "usage: snapshotlab.py RUN_DIR [--json OUT]", analyze, checks))
