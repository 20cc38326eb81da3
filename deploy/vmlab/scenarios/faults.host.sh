# faults (host side): `virtsyncd serve` with its "simulated" served clock (host UTC plus faults
# scheduled from serve's start: serve has no runtime control interface) and QEMU's built-in device
# as the reference.
#   - serve starts with a +100 ms step at VMLAB_FAULT_STEP_AFTER_S (120) s and +30 ppm from
#     VMLAB_FAULT_RATE_AFTER_S (150) s after its start (VMLAB_FAULT_STEP_MS, VMLAB_FAULT_RATE_PPM);
#     the guest boots (~40 s) and syncs (SYNC_S) before the step;
#   - when the guest reaches phase "followed", the back end is killed; with
#     VMLAB_VHOST_RECONNECT_MS set it is restarted VMLAB_FAULT_DOWN_S (2) s later with the same
#     settings (QEMU reconnects). QEMU 11.1's vhost-user-rtc-pci does not start with
#     reconnect-ms (realize fails: "Failed to set msg fds"), hence no reconnect by default and the
#     kill is a permanent loss of the back end: the guest must hold over without stepping.
# Host wall-clock times of the events go to events.jsonl (analyze.py aligns them with the probes'
# "wall", the guest's CLOCK_REALTIME, near host UTC).
#   env: VMLAB_FAULT_SYNC_S (50), VMLAB_FAULT_FOLLOW_S (110), VMLAB_FAULT_HOLDOVER_S (40)
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_VHOST_RECONNECT_MS=${VMLAB_VHOST_RECONNECT_MS:-}
fault_step_ms=${VMLAB_FAULT_STEP_MS:-100}
fault_step_after_s=${VMLAB_FAULT_STEP_AFTER_S:-120}
fault_rate_ppm=${VMLAB_FAULT_RATE_PPM:-30}
fault_rate_after_s=${VMLAB_FAULT_RATE_AFTER_S:-150}
SCENARIO_SERVE_ARGS=(--serve:clocks=simulated
  "--serve:simulated:stepMs=$fault_step_ms" "--serve:simulated:stepAfterSeconds=$fault_step_after_s"
  "--serve:simulated:ratePpm=$fault_rate_ppm" "--serve:simulated:rateAfterSeconds=$fault_rate_after_s")
SCENARIO_GUEST_ARGS=("${VMLAB_FAULT_SYNC_S:-50}" "${VMLAB_FAULT_FOLLOW_S:-110}" "${VMLAB_FAULT_HOLDOVER_S:-40}")
SCENARIO_TIMEOUT=$(( ${VMLAB_FAULT_SYNC_S:-50} + ${VMLAB_FAULT_FOLLOW_S:-110} + ${VMLAB_FAULT_HOLDOVER_S:-40} + 240 ))

fault_event() { # NAME HOST-WALL [EXTRA-JSON-MEMBERS]
  printf '{"event":"%s","host_wall":%s%s}\n' "$1" "$2" "${3:+,$3}" >>"$run_dir/events.jsonl"
}

scenario_during() {
  # serve.pid is written right after serve is launched: its time is serve's start (to ~10 ms).
  fault_event serve_start "$(date -r "$run_dir/serve.pid" +%s.%N)" \
    "\"step_ms\":$fault_step_ms,\"step_after_s\":$fault_step_after_s,\"rate_ppm\":$fault_rate_ppm,\"rate_after_s\":$fault_rate_after_s"
  wait_guest_phase followed 900 || return 0
  lab_log "faults: killing the back end"
  fault_event kill "$(date +%s.%N)"
  serve_stop
  host_check "back end killed" true
  [ -n "$SCENARIO_VHOST_RECONNECT_MS" ] || return 0
  sleep "${VMLAB_FAULT_DOWN_S:-2}"
  # The same schedule again, counted from this start.
  if serve_start; then
    fault_event restart "$(date +%s.%N)"
    host_check "back end restarted" true
  else
    host_check "back end restarted" false
  fi
}
