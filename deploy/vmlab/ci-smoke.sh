#!/usr/bin/env bash
# CI hook for the VM lab: prepares the lab (setup.sh, cached) and runs one scenario, `smoke` by
# default; prints its own result lines and exits 0 on pass, 1 on failure, 77 when the lab cannot
# run here (not root, or VIRTSYNC_LAB_SKIP=1).
#
#   deploy/vmlab/ci-smoke.sh [SCENARIO]      (or VIRTSYNC_LAB_CI_SCENARIO)
#
# Uses the prebuilt lab kernel when VIRTSYNC_LAB_KERNEL names it or it lies in ../shared/vmlab
# beside the repository; otherwise builds one (about 24 minutes, cached). `builtin-probe` (with
# VMLAB_PROBE_SECONDS=5, about 1 minute) checks the lab itself without our daemon.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:-${VIRTSYNC_LAB_CI_SCENARIO:-smoke}}
exec </dev/null

if [ "${VIRTSYNC_LAB_SKIP:-0}" = 1 ]; then echo "vmlab $scenario: SKIPPED (VIRTSYNC_LAB_SKIP=1)"; exit 77; fi
if [ "$(id -u)" -ne 0 ]; then echo "vmlab $scenario: SKIPPED (needs root)"; exit 77; fi

started=$SECONDS
if ! "$here/setup.sh"; then
  echo "vmlab $scenario: FAIL (setup.sh failed after $((SECONDS - started)) s)"
  exit 1
fi
setup_s=$((SECONDS - started))
if ! kernel=$("$here/kernel.sh"); then
  echo "vmlab $scenario: FAIL (no guest kernel)"
  exit 1
fi
echo "vmlab: setup ${setup_s} s, kernel $kernel"
# The guest runs the daemon as shipped: a NativeAOT publish of this tree (run.sh takes it when it was built from
# HEAD). A JIT build under TCG needs tens of seconds to reach its first estimate on a loaded machine, longer than
# the smoke's 60 s deadline; without the AOT toolchain the smoke falls back to it and says so.
if [ -z "${VIRTSYNCD_GUEST:-}" ] && [ "$scenario" != builtin-probe ]; then
  repo=$(cd "$here/../.." && pwd)
  publish_started=$SECONDS
  if (cd "$repo" && dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true -v q -nologo) >/tmp/virtsync-ci-publish.$$.log 2>&1; then
    echo "vmlab: NativeAOT guest daemon published in $((SECONDS - publish_started)) s"
  else
    echo "vmlab: NativeAOT publish failed after $((SECONDS - publish_started)) s; the guest runs the JIT build:"
    tail -5 /tmp/virtsync-ci-publish.$$.log
  fi
  rm -f /tmp/virtsync-ci-publish.$$.log
fi
[ "$scenario" = builtin-probe ] && export VMLAB_PROBE_SECONDS=${VMLAB_PROBE_SECONDS:-5}
"$here/run.sh" "$scenario"
rc=$?
report=${VIRTSYNC_LAB_ARTIFACTS:-$here/../../artifacts/vmlab}/$scenario.json
if [ $rc -eq 0 ]; then
  echo "vmlab $scenario: PASS in $((SECONDS - started)) s (report $report)"
  exit 0
fi
echo "vmlab $scenario: FAIL (exit $rc) in $((SECONDS - started)) s (report $report)"
exit 1
