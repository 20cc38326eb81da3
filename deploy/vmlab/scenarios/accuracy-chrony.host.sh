# accuracy-chrony (host side). The served clock is our `virtsyncd serve` (UTC clock of the
# vhost-user device); VMLAB_SERVED=builtin serves with a first QEMU built-in device instead (a trial
# of the lab without our back end). The reference is always QEMU's built-in virtio-rtc-pci.
#   env: VMLAB_DURATION_S (default 600), VMLAB_REFCLOCK (chrony refclock options, default
#        "poll 0 dpoll -2"), and the guest's VMLAB_* settings (see the guest script).
# shellcheck shell=bash
if [ "${VMLAB_SERVED:-virtsync}" = builtin ]; then
  SCENARIO_SERVE=0
  SCENARIO_BUILTIN=2
else
  SCENARIO_SERVE=1
  SCENARIO_BUILTIN=1
fi
SCENARIO_GUEST_ARGS=("${VMLAB_DURATION_S:-600}" "${VMLAB_REFCLOCK:-poll 0 dpoll -2}")
SCENARIO_TIMEOUT=$(( ${VMLAB_DURATION_S:-600} + 180 ))
for name in VMLAB_INITIAL_STEP_S VMLAB_INITIAL_FREQ_PPM VMLAB_PROBE_RATE VMLAB_SETTLE_S VMLAB_READ_CALLS VMLAB_PROBE_NOISE_S VMLAB_CHRONY_EXTRA; do
  if [ -n "${!name:-}" ]; then SCENARIO_ENV+=("$name=${!name}"); fi
done
