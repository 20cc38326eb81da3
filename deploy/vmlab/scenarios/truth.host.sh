# truth (host side): a daemon in the guest follows our served UTC clock, and the guest measures its clock against
# the host's UTC through no virtio device at all: QEMU stamps every write to an isa-parallel data port with the
# host's realtime clock (-msg timestamp=on -trace parallel_ioport_write -D truth-trace.log), and the guest's
# tools/truthprobe brackets each write between two CLOCK_REALTIME reads. deploy/vmlab/truth.py turns that into
# the truth and each daemon's error and bound coverage against it. QEMU's built-in virtio-rtc-pci stays attached
# as a second device (probed, not read by the daemon), so its bias against the truth is reported too. The guest
# links it as /dev/ptp_builtin_utc, so virtsync can combine both and calibrate ours against it:
# VMLAB_SYNC_OPTIONS="--sources:combine=true --sources:clocks=/dev/ptp_virtio_utc,/dev/ptp_builtin_utc".
#   env: VMLAB_TRUTH_DAEMON (virtsync | chrony, default virtsync), VMLAB_DURATION_S (default 600),
#        VMLAB_SYNC_OPTIONS (virtsyncd sync arguments, or chrony refclock options), VMLAB_TRUTH_RATE (writes/s,
#        default 100), VMLAB_TRUTH_BURST (writes per burst, default 4), VMLAB_SERVED_PROBE_RATE (2), VMLAB_SETTLE_S (60),
#        VMLAB_CHRONY_EXTRA, VMLAB_TRUTH_OUTAGE_AT_S (0 = none: else the back end is killed that many seconds after
#        the daemon started and restarted VMLAB_TRUTH_OUTAGE_S (30) s later through tools/fdstore.py, as in the
#        faults scenario: the daemon holds over, ClockBound must say FreeRunning and the bound must still hold).
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_GUEST_ARGS=("${VMLAB_TRUTH_DAEMON:-virtsync}" "${VMLAB_DURATION_S:-600}" "${VMLAB_SYNC_OPTIONS:-}")
SCENARIO_TIMEOUT=$(( ${VMLAB_DURATION_S:-600} + 180 ))
SCENARIO_QEMU_ARGS=(-chardev null,id=truthpar -device isa-parallel,chardev=truthpar,iobase=0x378
  -msg timestamp=on -trace parallel_ioport_write -D "$run_dir/truth-trace.log")
outage_at_s=${VMLAB_TRUTH_OUTAGE_AT_S:-0}
if [ "$outage_at_s" != 0 ]; then
  SCENARIO_SERVE_SUPERVISED=1
  SCENARIO_SERVE_RESTART_DELAY_S=${VMLAB_TRUTH_OUTAGE_S:-30}
fi
truth_event() { # NAME HOST-WALL
  printf '{"event":"%s","host_wall":%s}\n' "$1" "$2" >>"$run_dir/events.jsonl"
}
scenario_during() {
  [ "$outage_at_s" != 0 ] || return 0
  wait_guest_phase running 900 || return 0
  sleep "$outage_at_s"
  local pid pidfile=$run_dir/serve-child.pid waited=0
  pid=$(cat "$pidfile")
  lab_log "truth: killing the back end (SIGKILL, PID $pid) for ${SCENARIO_SERVE_RESTART_DELAY_S} s"
  truth_event kill "$(date +%s.%N)"
  kill -KILL "$pid" 2>/dev/null || true
  while [ "$(cat "$pidfile" 2>/dev/null)" = "$pid" ] && [ $waited -lt 1200 ]; do sleep 0.1; waited=$((waited + 1)); done
  if [ "$(cat "$pidfile" 2>/dev/null)" != "$pid" ]; then
    truth_event restart "$(date +%s.%N)"
    host_check "back end restarted" true "$(cat "$pidfile")"
  else
    host_check "back end restarted" false
  fi
}
for name in VMLAB_TRUTH_RATE VMLAB_TRUTH_BURST VMLAB_SERVED_PROBE_RATE VMLAB_SETTLE_S VMLAB_INITIAL_STEP_S VMLAB_PROBE_RATE VMLAB_CHRONY_EXTRA; do
  if [ -n "${!name:-}" ]; then SCENARIO_ENV+=("$name=${!name}"); fi
done
