# shellcheck shell=sh
# The accuracy run shared by accuracy-chrony, accuracy-virtsync and qemu-builtin (guest side):
# a daemon follows the served UTC clock; the reference probe reads QEMU's built-in device (an
# independent path to the host clock) for the whole run.
#   set -- DAEMON DURATION_S DAEMON_OPTIONS; . guest/accuracy.sh
#     DAEMON chrony: chrony 4.9 from the sid root, `refclock PHC /dev/ptp_virtio_utc DAEMON_OPTIONS`
#                    (default "poll 0 dpoll -2"), VMLAB_CHRONY_EXTRA adds chrony.conf lines
#     DAEMON chrony-agent: chronyd with `refclock SOCK $CHRONY_DIR/virtsync.sock DAEMON_OPTIONS` (default
#                    "refid VIRT poll 2 precision 1e-7 delay 1e-4"), fed by `virtsyncd sync --chrony:enabled=true`
#                    on the served clock (VMLAB_SYNC_OPTIONS adds arguments); docs/chrony.md
#     DAEMON virtsync: `virtsyncd sync DAEMON_OPTIONS` (default: none) from /run; unless the options
#                    name sources:clocks, `--sources:clocks=/dev/ptp_virtio_utc` is added: without it
#                    the daemon would read every virtio PTP clock, the reference device included
#   env:  VMLAB_INITIAL_STEP_S (default -2: the guest starts 2 s behind after being matched to the
#         reference), VMLAB_INITIAL_FREQ_PPM (default 0), VMLAB_PROBE_RATE (calls/s, default 20),
#         VMLAB_SETTLE_S (statistics start here, default 60), VMLAB_READ_CALLS (EXTENDED2 calls of
#         25 samples on each device, alternated, before the run: the READ round trip of the served
#         device against QEMU's built-in one; default 40, 0: none), VMLAB_PROBE_NOISE_S (the probe's
#         own noise against CLOCK_MONOTONIC_RAW before the run, default 20, 0: none)
. "$VMLAB_DIR/guest/lib.sh"
daemon=$1
duration=${2:-600}
settle=${VMLAB_SETTLE_S:-60}
case $daemon in
  chrony) opts=${3:-poll 0 dpoll -2} ;;
  virtsync) opts=${3:-} ;;
  chrony-agent) opts=${3:-refid VIRT poll 2 precision 1e-7 delay 1e-4} ;;
  *) echo "{\"pass\":false,\"error\":\"unknown daemon $daemon\"}" >"$VMLAB_RESULT"; exit 2 ;;
esac

daemon_start() {
  if [ "$daemon" = chrony ]; then
    chrony_config /dev/ptp_virtio_utc "$opts" "${VMLAB_CHRONY_EXTRA:-}"
    chrony_start
    DAEMON_PID=$CHRONY_PID
  elif [ "$daemon" = chrony-agent ]; then
    [ -n "${VMLAB_VIRTSYNCD:-}" ] || return 1
    sock=$CHRONY_DIR/virtsync.sock
    chrony_config /dev/ptp_virtio_utc "" "${VMLAB_CHRONY_EXTRA:-}"
    sed -i "s|^refclock PHC .*|refclock SOCK $sock $opts|" "$CHRONY_DIR/chrony.conf"
    chrony_start
    DAEMON_PID=$CHRONY_PID
    # chronyd creates the socket; the agent drops (and reports) samples until it is there.
    i=0
    while [ ! -S "$sock" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    sync_opts="--sources:clocks=/dev/ptp_virtio_utc --chrony:enabled=true --chrony:socketPath=$sock ${VMLAB_SYNC_OPTIONS:-}"
    log "chronyd PID $CHRONY_PID; virtsyncd sync $sync_opts"
    # shellcheck disable=SC2086
    (cd /run && exec $VMLAB_VIRTSYNCD sync $sync_opts) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
    AGENT_PID=$!
  else
    [ -n "${VMLAB_VIRTSYNCD:-}" ] || return 1
    case $opts in
      *sources:clocks*) sync_opts=$opts ;;
      *) sync_opts="$opts --sources:clocks=/dev/ptp_virtio_utc" ;;
    esac
    log "virtsyncd sync $sync_opts"
    # shellcheck disable=SC2086
    (cd /run && exec $VMLAB_VIRTSYNCD sync $sync_opts) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
    DAEMON_PID=$!
  fi
}
daemon_sample() { # one line of the daemon's own view, every 10 s
  if [ "$daemon" != virtsync ]; then
    echo "$(cut -d' ' -f1 /proc/uptime) $(chronyc -c tracking 2>/dev/null)" >>"$VMLAB_OUT/chronyc-tracking.csv"
  fi
}
daemon_finish() {
  if [ "$daemon" != virtsync ]; then
    chronyc tracking >"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
    chronyc sources >>"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
    chronyc sourcestats >>"$VMLAB_OUT/chronyc-tracking-final.txt" 2>&1
  fi
  if [ "$daemon" = chrony-agent ]; then
    (cd /run && $VMLAB_VIRTSYNCD status) >"$VMLAB_OUT/virtsyncd-status.txt" 2>&1
    (cd /run && $VMLAB_VIRTSYNCD status --json) >"$VMLAB_OUT/virtsyncd-status.json" 2>&1
    kill "$AGENT_PID" 2>/dev/null
  fi
  kill "$DAEMON_PID" 2>/dev/null
  sleep 1
  if [ "$daemon" != virtsync ]; then
    cp -r "$CHRONY_DIR/log" "$VMLAB_OUT/chrony-log" 2>/dev/null
    cp "$CHRONY_DIR/chrony.conf" "$CHRONY_DIR/chronyd.out" "$VMLAB_OUT/" 2>/dev/null
  fi
}

if ! served_and_reference; then
  echo "{\"pass\":false,\"error\":\"need two UTC virtio PTP clocks (served + reference)\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
log "served $SERVED_DEV, reference $REFERENCE_DEV"

# READ round trip on both devices in the same guest, alternated call by call (same host load).
read_calls=${VMLAB_READ_CALLS:-40}
: >"$VMLAB_OUT/read-delays.jsonl"
i=0
while [ "$i" -lt "$read_calls" ]; do
  "$PHCREAD" read "$SERVED_DEV" -n 25 -c monotonic_raw >>"$VMLAB_OUT/read-delays.jsonl" 2>>"$VMLAB_OUT/read-delays.err"
  "$PHCREAD" read "$REFERENCE_DEV" -n 25 -c monotonic_raw >>"$VMLAB_OUT/read-delays.jsonl" 2>>"$VMLAB_OUT/read-delays.err"
  i=$((i + 1))
done
# The reference probe's own noise: nothing steers CLOCK_MONOTONIC_RAW.
noise_s=${VMLAB_PROBE_NOISE_S:-20}
noise_file=null
if [ "$noise_s" -gt 0 ]; then
  probe_run "$REFERENCE_DEV" "$noise_s" probe-noise.jsonl -n 5 -r "${VMLAB_PROBE_RATE:-20}" -c monotonic_raw \
    2>"$VMLAB_OUT/probe-noise.err"
  noise_file='"probe-noise.jsonl"'
fi
guest_match_clock "$REFERENCE_DEV"
"$VMLAB_BIN/guestclock" freq "${VMLAB_INITIAL_FREQ_PPM:-0}" >/dev/null
guest_step_clock "${VMLAB_INITIAL_STEP_S:--2}"
initial=$("$VMLAB_BIN/guestclock" show)

"$PHCREAD" probe "$REFERENCE_DEV" -t "$duration" -n 5 -r "${VMLAB_PROBE_RATE:-20}" -c realtime \
  >"$VMLAB_OUT/reference.jsonl" 2>"$VMLAB_OUT/reference.err" &
probe_pid=$!
if ! daemon_start; then
  kill "$probe_pid"
  echo "{\"pass\":false,\"error\":\"$daemon could not be started (VMLAB_VIRTSYNCD unset?)\"}" >"$VMLAB_RESULT"
  exit 1
fi
log "$daemon PID $DAEMON_PID, probe PID $probe_pid, $duration s"
while kill -0 "$probe_pid" 2>/dev/null; do
  sleep 10
  daemon_sample
done
wait "$probe_pid"
alive=false
kill -0 "$DAEMON_PID" 2>/dev/null && alive=true
daemon_finish
final=$("$VMLAB_BIN/guestclock" show)
lines=$(wc -l <"$VMLAB_OUT/reference.jsonl")

cat >"$VMLAB_RESULT" <<JSON
{"pass":$alive,"daemon":"$daemon","daemon_options":$(json_str "${sync_opts:-$opts}"),
 "served_device":"$SERVED_DEV","reference_device":"$REFERENCE_DEV","duration_s":$duration,"settle_s":$settle,
 "reference_file":"reference.jsonl","probe_noise_file":$noise_file,"read_delays_file":"read-delays.jsonl",
 "initial_clock":$initial,"final_clock":$final,
 "checks":[$(json_check "$daemon still running at the end" "$alive"),
           $(json_check "reference probe covered the run" "$([ "$lines" -ge "$duration" ] && echo true || echo false)" "$lines")]}
JSON
