# qemu-builtin (host side): no back end of ours. Two QEMU built-in virtio-rtc-pci devices: the
# first is the served clock `virtsyncd sync` follows in the guest, the second the reference.
#   env: VMLAB_DURATION_S (default 180), VMLAB_SYNC_OPTIONS
# shellcheck shell=bash
SCENARIO_SERVE=0
SCENARIO_BUILTIN=2
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_GUEST_ARGS=("${VMLAB_DURATION_S:-180}" "${VMLAB_SYNC_OPTIONS:-}")
SCENARIO_TIMEOUT=$(( ${VMLAB_DURATION_S:-180} + 180 ))
for name in VMLAB_INITIAL_STEP_S VMLAB_INITIAL_FREQ_PPM VMLAB_PROBE_RATE VMLAB_SETTLE_S VMLAB_READ_CALLS VMLAB_PROBE_NOISE_S; do
  if [ -n "${!name:-}" ]; then SCENARIO_ENV+=("$name=${!name}"); fi
done
