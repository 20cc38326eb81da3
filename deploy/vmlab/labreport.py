"""What the scenario analyses (foreign.py, pause.py) share: reading a JSON-lines file, and their command line
`SCRIPT RUN_DIR [--json OUT] [options]`: the report with its checks attached, printed (and written to OUT), exit
status 0 only when every check passes (2 for a usage error)."""
import json
import os


def read_jsonl(path):
    """The JSON objects of a JSON-lines file, skipping lines that do not parse; [] when the file is missing."""
    out = []
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def option(argv, name, default=None):
    """The value after `name` in argv, or default."""
    return argv[argv.index(name) + 1] if name in argv else default


def main(argv, usage, analyze, checks):
    """analyze(run_dir) -> report; checks(report) -> [(name, ok, value)]. Returns the exit status."""
    import sys
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    report = analyze(argv[1])
    report["checks"] = [{"name": n, "ok": bool(ok), "value": v} for n, ok, v in checks(report)]
    text = json.dumps(report, indent=2)
    if "--json" in argv:
        with open(option(argv, "--json"), "w") as f:
            f.write(text + "\n")
    print(text)
    return 0 if all(c["ok"] for c in report["checks"]) else 1
