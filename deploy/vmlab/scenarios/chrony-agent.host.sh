# chrony-agent (host side): chronyd 4.9 in the guest fed by `virtsyncd sync` over chrony's SOCK refclock
# (virtsync reads and filters the served clock, chronyd steers; docs/chrony.md). Run it back to back with
# accuracy-chrony (chronyd on the PHC directly) and accuracy-virtsync (virtsync alone) under the same settings
# for the comparison in docs/vmlab.md. Served clock and reference as in accuracy-chrony.
#   env: VMLAB_DURATION_S (default 600), VMLAB_REFCLOCK (chronyd's SOCK refclock options, default
#        "refid VIRT poll 2 precision 1e-7 delay 1e-4"), VMLAB_SYNC_OPTIONS (more arguments for `virtsyncd sync`; without
#        any the agent runs chrony mode's defaults, docs/chrony.md "How virtsync reads the clock for chronyd"),
#        and the guest's VMLAB_* settings (see guest/accuracy.sh).
# shellcheck shell=bash
if [ "${VMLAB_SERVED:-virtsync}" = builtin ]; then
  SCENARIO_SERVE=0
  SCENARIO_BUILTIN=2
else
  SCENARIO_SERVE=1
  SCENARIO_BUILTIN=1
fi
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_GUEST_ARGS=("${VMLAB_DURATION_S:-600}" "${VMLAB_REFCLOCK:-refid VIRT poll 2 precision 1e-7 delay 1e-4}")
SCENARIO_TIMEOUT=$(( ${VMLAB_DURATION_S:-600} + 180 ))
for name in VMLAB_INITIAL_STEP_S VMLAB_INITIAL_FREQ_PPM VMLAB_PROBE_RATE VMLAB_SETTLE_S VMLAB_READ_CALLS VMLAB_PROBE_NOISE_S VMLAB_CHRONY_EXTRA VMLAB_SYNC_OPTIONS; do
  if [ -n "${!name:-}" ]; then SCENARIO_ENV+=("$name=${!name}"); fi
done
