# faults (host side): `virtsyncd serve` with its "simulated" served clock (host UTC plus faults
# scheduled from an epoch: serve has no runtime control interface) and QEMU's built-in device as
# the reference.
#   - serve starts with a +100 ms step at VMLAB_FAULT_STEP_AFTER_S (120) s and +30 ppm from
#     VMLAB_FAULT_RATE_AFTER_S (150) s after its start (VMLAB_FAULT_STEP_MS, VMLAB_FAULT_RATE_PPM);
#     the guest boots (~40 s) and syncs (SYNC_S) before the step;
#   - when the guest reaches phase "followed", the back end is killed (SIGKILL: a crash, nothing
#     said to QEMU). serve runs under tools/fdstore.py, the lab's stand-in for systemd's file
#     descriptor store (Restart=always, FileDescriptorStoreMax, FileDescriptorStorePreserve): it
#     restarts serve VMLAB_FAULT_DOWN_S (8) s later with the fds serve kept there (the vhost-user
#     connection, guest memory, kick/call eventfds) and serve takes the connection over from its
#     state file. QEMU never sees a disconnect: QEMU 11.1's vhost-user-rtc-pci cannot reconnect to a
#     new back end (with reconnect-ms it fails at start, "Failed to set msg fds"; as the listening
#     end, chardev server=on + `serve --connect`, it aborts on the new connection:
#     "vhost_dev_start: Assertion `hdev->vhost_ops' failed"). The restarted serve gets the same
#     epoch (--serve:simulated:epochUnixSeconds), so it serves the same clock, faults included.
#     VMLAB_FAULT_RESTART=0: no restart (the guest must hold over without stepping).
# Host wall-clock times of the events go to events.jsonl (analyze.py aligns them with the probes'
# "wall", the guest's CLOCK_REALTIME, near host UTC).
#   env: VMLAB_FAULT_SYNC_S (50), VMLAB_FAULT_FOLLOW_S (140), VMLAB_FAULT_HOLDOVER_S (40)
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
fault_restart=${VMLAB_FAULT_RESTART:-1}
if [ "$fault_restart" = 1 ]; then
  SCENARIO_SERVE_SUPERVISED=1
  SCENARIO_SERVE_RESTART_DELAY_S=${VMLAB_FAULT_DOWN_S:-8}
fi
fault_step_ms=${VMLAB_FAULT_STEP_MS:-100}
fault_step_after_s=${VMLAB_FAULT_STEP_AFTER_S:-120}
fault_rate_ppm=${VMLAB_FAULT_RATE_PPM:-30}
fault_rate_after_s=${VMLAB_FAULT_RATE_AFTER_S:-150}
fault_epoch=$(date +%s.%N)
SCENARIO_SERVE_ARGS=(--serve:clocks=simulated "--serve:simulated:epochUnixSeconds=$fault_epoch"
  "--serve:simulated:stepMs=$fault_step_ms" "--serve:simulated:stepAfterSeconds=$fault_step_after_s"
  "--serve:simulated:ratePpm=$fault_rate_ppm" "--serve:simulated:rateAfterSeconds=$fault_rate_after_s")
SCENARIO_GUEST_ARGS=("${VMLAB_FAULT_SYNC_S:-50}" "${VMLAB_FAULT_FOLLOW_S:-140}" "${VMLAB_FAULT_HOLDOVER_S:-40}")
SCENARIO_TIMEOUT=$(( ${VMLAB_FAULT_SYNC_S:-50} + ${VMLAB_FAULT_FOLLOW_S:-140} + ${VMLAB_FAULT_HOLDOVER_S:-40} + 240 ))

fault_event() { # NAME HOST-WALL [EXTRA-JSON-MEMBERS]
  printf '{"event":"%s","host_wall":%s%s}\n' "$1" "$2" "${3:+,$3}" >>"$run_dir/events.jsonl"
}

scenario_during() {
  fault_event serve_start "$fault_epoch" \
    "\"step_ms\":$fault_step_ms,\"step_after_s\":$fault_step_after_s,\"rate_ppm\":$fault_rate_ppm,\"rate_after_s\":$fault_rate_after_s"
  wait_guest_phase followed 900 || return 0
  lab_log "faults: killing the back end (SIGKILL)"
  local pid pidfile=$run_dir/serve-child.pid
  [ "$fault_restart" = 1 ] || pidfile=$run_dir/serve.pid
  pid=$(cat "$pidfile")
  fault_event kill "$(date +%s.%N)"
  kill -KILL "$pid" 2>/dev/null || true
  host_check "back end killed" true "$pid"
  [ "$fault_restart" = 1 ] || return 0
  # fdstore.py starts it again after the delay and writes the new PID.
  local waited=0
  while [ "$(cat "$pidfile" 2>/dev/null)" = "$pid" ] && [ $waited -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done
  if [ "$(cat "$pidfile" 2>/dev/null)" != "$pid" ]; then
    fault_event restart "$(date +%s.%N)"
    host_check "back end restarted" true "$(cat "$pidfile")"
  else
    host_check "back end restarted" false
  fi
}
