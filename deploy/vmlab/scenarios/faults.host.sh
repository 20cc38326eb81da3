# faults (host side): `virtsyncd serve` with its "simulated" served clock (host UTC plus scheduled
# faults; serve has no runtime control interface, so a fault is a restart with other settings) and
# QEMU's built-in device as the reference. QEMU reconnects to a restarted back end.
#   1. the guest syncs (phase "synced");
#   2. the back end is killed and restarted 2 s later with the same settings (phase "restarted"
#      ends the observation);
#   3. the back end is restarted once more, at once, with a step of +100 ms 20 s after that start and
#      +30 ppm from 60 s (VMLAB_FAULT_STEP_MS, VMLAB_FAULT_STEP_AFTER_S, VMLAB_FAULT_RATE_PPM,
#      VMLAB_FAULT_RATE_AFTER_S).
# The host's wall-clock times of each event go to events.json (analyze.py aligns them with the
# guest's probe data, whose "wall" is the guest's CLOCK_REALTIME, near host UTC).
#   env: VMLAB_FAULT_SYNC_S (phase 1, default 50), VMLAB_FAULT_RESTART_S (phase 2, default 40),
#        VMLAB_FAULT_FOLLOW_S (phase 3, default 100), VMLAB_FAULT_DOWN_S (default 2)
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_VHOST_RECONNECT_MS=${VMLAB_VHOST_RECONNECT_MS:-1000}
SCENARIO_SERVE_ARGS=(--serve:clocks=simulated)
fault_step_ms=${VMLAB_FAULT_STEP_MS:-100}
fault_step_after_s=${VMLAB_FAULT_STEP_AFTER_S:-20}
fault_rate_ppm=${VMLAB_FAULT_RATE_PPM:-30}
fault_rate_after_s=${VMLAB_FAULT_RATE_AFTER_S:-60}
SCENARIO_GUEST_ARGS=("${VMLAB_FAULT_SYNC_S:-50}" "${VMLAB_FAULT_RESTART_S:-40}" "${VMLAB_FAULT_FOLLOW_S:-100}")
SCENARIO_TIMEOUT=$(( ${VMLAB_FAULT_SYNC_S:-50} + ${VMLAB_FAULT_RESTART_S:-40} + ${VMLAB_FAULT_FOLLOW_S:-100} + 240 ))

fault_event() { # NAME [EXTRA-JSON-MEMBERS]
  printf '{"event":"%s","host_wall":%s%s}\n' "$1" "$(date +%s.%N)" "${2:+,$2}" >>"$run_dir/events.jsonl"
}

scenario_during() {
  wait_guest_phase synced 900 || return 0
  lab_log "faults: killing the back end, restarting it in ${VMLAB_FAULT_DOWN_S:-2} s"
  fault_event kill
  serve_stop
  sleep "${VMLAB_FAULT_DOWN_S:-2}"
  if serve_start; then
    fault_event restart
    host_check "back end restarted" true
  else
    host_check "back end restarted" false
    return 0
  fi
  wait_guest_phase restarted 600 || return 0
  lab_log "faults: restarting the back end with a served step of +${fault_step_ms} ms at ${fault_step_after_s} s and ${fault_rate_ppm} ppm from ${fault_rate_after_s} s"
  fault_event kill2
  serve_stop
  if serve_start "--serve:simulated:stepMs=$fault_step_ms" "--serve:simulated:stepAfterSeconds=$fault_step_after_s" \
      "--serve:simulated:ratePpm=$fault_rate_ppm" "--serve:simulated:rateAfterSeconds=$fault_rate_after_s"; then
    fault_event restart2 "\"step_ms\":$fault_step_ms,\"step_after_s\":$fault_step_after_s,\"rate_ppm\":$fault_rate_ppm,\"rate_after_s\":$fault_rate_after_s"
    host_check "back end restarted with the served step and rate" true
  else
    host_check "back end restarted with the served step and rate" false
  fi
}
