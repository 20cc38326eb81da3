# truth (guest side): DAEMON (virtsync | chrony) follows the served UTC clock for DURATION_S while
# tools/truthprobe brackets traced port writes (the truth, see truth.host.sh) and reads what the daemon
# publishes (kernel maxerror/esterror/status; virtsync's ClockBound segment); chrony's own bound comes from
# `chronyc -c tracking` every second; phcread probes QEMU's built-in device (not read by the daemon).
#   args: DAEMON DURATION_S DAEMON_OPTIONS
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
daemon=${1:-virtsync}
duration=${2:-600}
opts=${3:-}
[ "$daemon" = chrony ] && [ -z "$opts" ] && opts="poll 0 dpoll -2"

require_served_and_reference
log "served $SERVED_DEV, reference $REFERENCE_DEV, daemon $daemon"
guest_match_clock "$REFERENCE_DEV"
guest_step_clock "${VMLAB_INITIAL_STEP_S:--0.001}"

"$VMLAB_BIN/truthprobe" -t "$duration" -r "${VMLAB_TRUTH_RATE:-100}" -k "${VMLAB_TRUTH_BURST:-4}" >"$VMLAB_OUT/truth-probe.txt" 2>"$VMLAB_OUT/truth-probe.err" &
truth_pid=$!
"$PHCREAD" probe "$REFERENCE_DEV" -t "$duration" -n 5 -r "${VMLAB_PROBE_RATE:-10}" -c realtime \
  >"$VMLAB_OUT/reference.jsonl" 2>"$VMLAB_OUT/reference.err" &
probe_pid=$!
"$PHCREAD" probe "$SERVED_DEV" -t "$duration" -n 5 -r "${VMLAB_SERVED_PROBE_RATE:-2}" -c realtime >"$VMLAB_OUT/served.jsonl" 2>"$VMLAB_OUT/served.err" &
served_pid=$!
start_uptime=$(cut -d' ' -f1 /proc/uptime)
start_realtime=$(date +%s.%N)
if [ "$daemon" = chrony ]; then
  chrony_config /dev/ptp_virtio_utc "$opts" "${VMLAB_CHRONY_EXTRA:-}"
  chrony_start
  daemon_pid=$CHRONY_PID
  sync_opts=$opts
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
log "$daemon PID $daemon_pid, truthprobe PID $truth_pid, $duration s"
guest_phase running
: >"$VMLAB_OUT/chronyc-tracking.csv"
while kill -0 "$truth_pid" 2>/dev/null; do
  if [ "$daemon" = chrony ]; then
    echo "$(date +%s.%N) $(chronyc -c tracking 2>/dev/null)" >>"$VMLAB_OUT/chronyc-tracking.csv"
  fi
  sleep 1
done
wait "$truth_pid"; truth_rc=$?
alive=false
kill -0 "$daemon_pid" 2>/dev/null && alive=true
[ "$daemon" = chrony ] && chronyc tracking >"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
[ "$daemon" = virtsync ] && virtsyncd status >"$VMLAB_OUT/virtsyncd-status-final.txt" 2>&1
kill "$daemon_pid" 2>/dev/null
wait "$probe_pid" "$served_pid" 2>/dev/null
sleep 1
[ "$daemon" = chrony ] && cp -r "$CHRONY_DIR/log" "$VMLAB_OUT/chrony-log" 2>/dev/null
lines=$(wc -l <"$VMLAB_OUT/truth-probe.txt")

cat >"$VMLAB_RESULT" <<JSON
{"pass":$alive,"daemon":"$daemon","daemon_options":$(json_str "$sync_opts"),
 "served_device":"$SERVED_DEV","reference_device":"$REFERENCE_DEV","duration_s":$duration,"settle_s":${VMLAB_SETTLE_S:-60},
 "start_uptime_s":$start_uptime,"start_realtime_s":$start_realtime,"truth_rate":${VMLAB_TRUTH_RATE:-100},
 "checks":[$(json_check "$daemon still running at the end" "$alive"),
           $(json_check "truthprobe ran" "$([ "$truth_rc" = 0 ] && echo true || echo false)" "$truth_rc"),
           $(json_check "truthprobe wrote its lines" "$([ "$lines" -ge "$duration" ] && echo true || echo false)" "$lines")]}
JSON
