# pause (guest side): DAEMON follows the served UTC clock for DURATION_S of guest time while phcread probes QEMU's
# built-in virtio-rtc device (the reference, not read by the daemon); the host pauses and resumes the VM meanwhile
# (see pause.host.sh). The daemon's log goes to the output for the step count.
#   args: DAEMON DURATION_S DAEMON_OPTIONS
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
daemon=${1:-virtsync}
duration=${2:-300}
opts=${3:-}
[ "$daemon" = chrony ] && [ -z "$opts" ] && opts="poll 0 dpoll -2"

require_served_and_reference
log "served $SERVED_DEV, reference $REFERENCE_DEV, daemon $daemon"
guest_match_clock "$REFERENCE_DEV"
"$PHCREAD" probe "$REFERENCE_DEV" -t "$duration" -n 5 -r 20 -c realtime >"$VMLAB_OUT/reference.jsonl" 2>"$VMLAB_OUT/reference.err" &
probe_pid=$!
if [ "$daemon" = chrony ]; then
  chrony_config /dev/ptp_virtio_utc "$opts"
  chrony_start
  daemon_pid=$CHRONY_PID
else
  case $opts in
    *sources:clocks*) sync_opts=$opts ;;
    *) sync_opts="$opts --sources:clocks=/dev/ptp_virtio_utc" ;;
  esac
  log "virtsyncd sync $sync_opts"
  # shellcheck disable=SC2086
  (cd /run && exec $VMLAB_VIRTSYNCD sync $sync_opts) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
  daemon_pid=$!
fi
guest_phase running
wait "$probe_pid"
alive=false
kill -0 "$daemon_pid" 2>/dev/null && alive=true
if [ "$daemon" = chrony ]; then
  chronyc tracking >"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
else
  virtsyncd status >"$VMLAB_OUT/virtsyncd-status-final.txt" 2>&1
fi
kill "$daemon_pid" 2>/dev/null
sleep 1
[ "$daemon" = chrony ] && cp "$CHRONY_DIR/chronyd.out" "$VMLAB_OUT/chronyd.out" 2>/dev/null
cat >"$VMLAB_RESULT" <<JSON
{"pass":$alive,"daemon":"$daemon","daemon_options":$(json_str "$opts"),"duration_s":$duration,
 "served_device":"$SERVED_DEV","reference_device":"$REFERENCE_DEV",
 "checks":[$(json_check "$daemon still running at the end" "$alive")]}
JSON
