# builtin-probe (host side): no back end; QEMU's built-in virtio-rtc-pci is the only device.
# shellcheck shell=bash
SCENARIO_SERVE=0
SCENARIO_BUILTIN=1
SCENARIO_GUEST_ARGS=("${VMLAB_PROBE_SECONDS:-20}")
# 5 probe runs of VMLAB_PROBE_SECONDS plus boot.
SCENARIO_TIMEOUT=$(( ${VMLAB_PROBE_SECONDS:-20} * 5 + 150 ))
