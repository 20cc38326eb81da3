#!/usr/bin/env python3
"""What the chrony agent sent, against the reference (issue 15; docs/vmlab.md "The chrony-agent scenario").

    chronyagent.py RUN_DIR [OUTPUT_JSON]

RUN_DIR is a chrony-agent run folder (alone or a leg of chrony-pair) whose agent ran with --logging:level=debug:
out/virtsyncd-sync.log then has one line per reading, "chrony sample at LOCAL_NS: sent S us +-E; the reading alone
R us, delay D us" (S: the estimate sent to chronyd, R: that reading's own offset after the reading's filter, both
local - served clock), and out/reference.jsonl is the probe on QEMU's built-in device (guest - reference, corrected
for the probe's delay as analyze.py does). Per start (60 and 120 s), over the seconds that have both:
  guest_std_ns       the guest clock against the reference (what chronyd achieved);
  sent_error_std_ns  (that second's mean sent - probe): the agent's estimate against the reference, up to the
                     served device's constant bias. chronyd follows the estimate, so this is about guest_std_ns;
  readings_k         least-squares slope of (reading - probe) on the reading's delay: the delay asymmetry the
                     readings still carry (0.25-0.33 with the plain delay band in the lab, ~0 once removed);
  block_std_ns       std of 10 s means of (reading - probe) and of (sent - probe): the slow wander chronyd inherits;
  learnt_k, raw_readings_k  (binaries that log them, sources:filter=delay-corrected) the K the filter used, and the
                     slope of the readings before its correction against the reference: where the two differ, the
                     correction moves readings off;
  within_k, across_k (binaries after the across-readings check) the slope learnt within readings and the one seen
                     across readings without the reference; the filter uses the within one while they agree.
Standard library only.
"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze  # noqa: E402

SAMPLE = re.compile(r"chrony sample at (\d+): sent (\S+) us \+-(\S+); the reading alone (\S+) us, delay ([^\s;]+) us"
                    r"(?:; delay correction K (\S+), moved (\S+) us)?"
                    r"(?:; within readings (\S+), across readings (\S+) \+-(\S+))?")
BLOCK_S = 10


def samples(log_path):
    """Per wall second (rounded): [(sent_us, reading_us, delay_us, k, moved_us, within_k, across_k)] (NaN where the
    line has none: a reading not used; k and moved only with sources:filter=delay-corrected, from binaries that log
    them; within_k and across_k from binaries after the across-readings check)."""
    out = {}
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                m = SAMPLE.search(line)
                if m:
                    sec = int(round(int(m.group(1)) / 1e9))
                    k, moved = (float(m.group(6)), float(m.group(7))) if m.group(6) else (math.nan, math.nan)
                    within, across = (float(m.group(8)), float(m.group(9))) if m.group(8) else (math.nan, math.nan)
                    out.setdefault(sec, []).append((float(m.group(2)), float(m.group(4)), float(m.group(5)), k, moved, within, across))
    except OSError:
        pass
    return out


def probe_by_wall(reference_path):
    """{wall second: (t since start, corrected guest - reference in us)}."""
    _, rows, _ = analyze.load_jsonl(reference_path)
    if not rows:
        return {}
    return {int(round(r["wall"])): (r["t"], c / 1e3) for r, c in zip(rows, analyze.corrected(rows))}


def std(values):
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def slope(x, y):
    if len(x) < 3:
        return None
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxx = sum((a - mx) ** 2 for a in x)
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / sxx if sxx > 0 else None


def block_std(points):
    """points: [(t, value)]; std of the means of BLOCK_S-second blocks (complete or not)."""
    blocks = {}
    for t, v in points:
        blocks.setdefault(int(t // BLOCK_S), []).append(v)
    return std([sum(b) / len(b) for b in blocks.values()])


def figures(run_dir, starts=(60, 120)):
    sent = samples(os.path.join(run_dir, "out", "virtsyncd-sync.log"))
    probe = probe_by_wall(os.path.join(run_dir, "out", "reference.jsonl"))
    if not sent or not probe:
        return {"error": "no Debug 'chrony sample' lines or no probe data (run the agent with --logging:level=debug)"}
    out = {"samples": sum(len(v) for v in sent.values())}
    for start in starts:
        seconds = [(probe[w][0], probe[w][1], sent[w]) for w in sorted(probe) if w in sent and probe[w][0] >= start]
        readings = [(t, r - p, d) for t, p, s in seconds for _, r, d, *_ in s if r == r and d == d]
        # Before the delay correction (reading - moved): the path's own slope; and the K the filter learnt.
        raw = [(r - m - p, d) for t, p, s in seconds for _, r, d, _, m, *_ in s if r == r and d == d and m == m]
        ks = sorted(x[3] for t, p, s in seconds for x in s if x[3] == x[3])
        withins = sorted(x[5] for t, p, s in seconds for x in s if x[5] == x[5])
        acrosses = sorted(x[6] for t, p, s in seconds for x in s if x[6] == x[6])
        sent_err = [(t, sum(x[0] for x in s) / len(s) - p) for t, p, s in seconds]
        g, e = std([p for _, p, _ in seconds]), std([v for _, v in sent_err])
        k = slope([d for _, _, d in readings], [v for _, v, _ in readings])
        br, bs = block_std([(t, v) for t, v, _ in readings]), block_std(sent_err)
        out[str(start)] = {
            "seconds": len(seconds), "readings": len(readings),
            "guest_std_ns": None if g is None else round(g * 1e3, 1),
            "sent_error_std_ns": None if e is None else round(e * 1e3, 1),
            "readings_k": None if k is None else round(k, 3),
            "block_std_ns": {"readings": None if br is None else round(br * 1e3, 1), "sent": None if bs is None else round(bs * 1e3, 1)},
        }
        if ks:
            rk = slope([d for _, d in raw], [v for v, _ in raw])
            out[str(start)]["learnt_k"] = {"min": ks[0], "median": ks[len(ks) // 2], "max": ks[-1]}
            out[str(start)]["raw_readings_k"] = None if rk is None else round(rk, 3)
        for name, values in (("within_k", withins), ("across_k", acrosses)):
            if values:
                out[str(start)][name] = {"min": values[0], "median": values[len(values) // 2], "max": values[-1]}
    return out


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    result = figures(argv[1])
    if len(argv) == 3:
        with open(argv[2], "w") as f:
            json.dump(result, f, indent=2)
    if "error" in result:
        print("chronyagent: " + result["error"], file=sys.stderr)
        return 1
    for start in ("60", "120"):
        w = result.get(start)
        if not w or w["guest_std_ns"] is None:
            continue
        print("from %s s (%d s, %d readings): guest std %.2f us; sent estimate - reference std %.2f us; readings' K %s; "
              "10 s means std: readings %s, sent %s us" % (
                  start, w["seconds"], w["readings"], w["guest_std_ns"] / 1e3, w["sent_error_std_ns"] / 1e3, w["readings_k"],
                  "%.2f" % (w["block_std_ns"]["readings"] / 1e3) if w["block_std_ns"]["readings"] is not None else "-",
                  "%.2f" % (w["block_std_ns"]["sent"] / 1e3) if w["block_std_ns"]["sent"] is not None else "-"))
        if "learnt_k" in w:
            print("  delay correction: K used min %(min)s median %(median)s max %(max)s; " % w["learnt_k"]
                  + "readings before the correction: K %s against the reference" % w["raw_readings_k"])
        for name, label in (("within_k", "within readings"), ("across_k", "across readings")):
            if name in w:
                print("  K %s: min %s median %s max %s" % (label, w[name]["min"], w[name]["median"], w[name]["max"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
