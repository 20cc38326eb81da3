# faults (host side): serve + built-in reference; QEMU reconnects to a restarted back end.
# NOT COMPLETE: serve_control is a placeholder for the control interface `virtsyncd serve` will
# have for stepping its served clock and changing its rate (align the command when it exists).
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_VHOST_RECONNECT_MS=1000
SCENARIO_GUEST_ARGS=("${VMLAB_PHASE_S:-60}")
SCENARIO_TIMEOUT=$(( ${VMLAB_PHASE_S:-60} * 5 + 200 ))

serve_control() {
  if "$VIRTSYNCD_HOST" serve-control --socket "$run_dir/serve-control.sock" "$@" >>"$run_dir/serve.log" 2>&1; then
    host_check "serve-control $*" true
  else
    host_check "serve-control $* (placeholder: serve has no control interface yet)" false
  fi
}

scenario_during() {
  wait_guest_phase synced 600 || return 0
  lab_log "faults: killing the back end, restarting it in 2 s"
  serve_stop
  sleep 2
  serve_start
  host_check "back end restarted" true
  wait_guest_phase restarted 600 || return 0
  lab_log "faults: stepping the served clock by +100 ms"
  serve_control step 0.1
  wait_guest_phase stepped 600 || return 0
  lab_log "faults: served clock rate +30 ppm"
  serve_control rate 30
}
