# leap (host side): serve with simulated clocks that pass an inserted leap second.
# NOT COMPLETE: the serve options below are placeholders for serve's simulated-clock mode.
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=0
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_SERVE_ARGS=(--simulate --leap-in "${VMLAB_LEAP_IN_S:-120}")
SCENARIO_GUEST_ARGS=("${VMLAB_DURATION_S:-300}")
SCENARIO_TIMEOUT=$(( ${VMLAB_DURATION_S:-300} + 200 ))
