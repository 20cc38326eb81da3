# accuracy-chrony (guest side): chrony 4.9 (from the sid root) follows the served UTC clock through
# `refclock PHC /dev/ptp_virtio_utc ...`; the reference probe reads QEMU's built-in device (an
# independent path to the host clock) for the whole run.
#   args: DURATION_S (default 600) REFCLOCK_OPTIONS (default "poll 0 dpoll -2")
#   env:  VMLAB_INITIAL_STEP_S (default -2: the guest starts 2 s behind after being matched to the
#         reference), VMLAB_INITIAL_FREQ_PPM (default 0), VMLAB_PROBE_RATE (calls/s, default 20),
#         VMLAB_SETTLE_S (statistics start here, default 60), VMLAB_CHRONY_EXTRA (more chrony.conf lines)
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
duration=${1:-600}
refopts=${2:-poll 0 dpoll -2}
settle=${VMLAB_SETTLE_S:-60}

if ! served_and_reference; then
  echo "{\"pass\":false,\"error\":\"need two UTC virtio PTP clocks (served + reference)\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
log "served $SERVED_DEV, reference $REFERENCE_DEV"
guest_match_clock "$REFERENCE_DEV"
"$VMLAB_BIN/guestclock" freq "${VMLAB_INITIAL_FREQ_PPM:-0}" >/dev/null
guest_step_clock "${VMLAB_INITIAL_STEP_S:--2}"
initial=$("$VMLAB_BIN/guestclock" show)

chrony_config /dev/ptp_virtio_utc "$refopts" "${VMLAB_CHRONY_EXTRA:-}"
"$PHCREAD" probe "$REFERENCE_DEV" -t "$duration" -n 5 -r "${VMLAB_PROBE_RATE:-20}" -c realtime \
  >"$VMLAB_OUT/reference.jsonl" 2>"$VMLAB_OUT/reference.err" &
probe_pid=$!
chrony_start
chrony_pid=$CHRONY_PID
log "chronyd PID $chrony_pid, probe PID $probe_pid, $duration s"

# chrony's view every 10 s, for the convergence plot.
while kill -0 "$probe_pid" 2>/dev/null; do
  sleep 10
  echo "$(cut -d' ' -f1 /proc/uptime) $(chronyc -c tracking 2>/dev/null)" >>"$VMLAB_OUT/chronyc-tracking.csv"
done
wait "$probe_pid"
chrony_alive=false
kill -0 "$chrony_pid" 2>/dev/null && chrony_alive=true
chronyc tracking >"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
chronyc sourcestats >>"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
kill "$chrony_pid" 2>/dev/null
sleep 1
cp -r "$CHRONY_DIR/log" "$VMLAB_OUT/chrony-log" 2>/dev/null
cp "$CHRONY_DIR/chrony.conf" "$CHRONY_DIR/chronyd.out" "$VMLAB_OUT/" 2>/dev/null
final=$("$VMLAB_BIN/guestclock" show)
lines=$(wc -l <"$VMLAB_OUT/reference.jsonl")

cat >"$VMLAB_RESULT" <<JSON
{"pass":$chrony_alive,"daemon":"chrony","refclock_options":$(json_str "$refopts"),
 "served_device":"$SERVED_DEV","reference_device":"$REFERENCE_DEV","duration_s":$duration,"settle_s":$settle,
 "reference_file":"reference.jsonl","initial_clock":$initial,"final_clock":$final,
 "checks":[$(json_check "chronyd still running at the end" "$chrony_alive"),
           $(json_check "reference probe covered the run" "$([ "$lines" -ge "$duration" ] && echo true || echo false)" "$lines")]}
JSON
