# foreign (guest side): virtsyncd sync steers from the served UTC clock; BEFORE_S later chronyd starts beside it
# (steering from the reference device), runs CHRONY_S and is stopped; AFTER_S more. The kernel's clock state is
# recorded every 0.5 s (guestclock show: clock_adjtime modes 0, read-only) and the reference probed (phcread).
#   args: BEFORE_S CHRONY_S AFTER_S SYNC_OPTIONS
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
before=${1:-60}
chrony_s=${2:-60}
after=${3:-75}
opts=${4:-}

require_served_and_reference
log "served $SERVED_DEV, reference $REFERENCE_DEV"
event() { printf '{"event":"%s","guest_wall":%s}\n' "$1" "$(date +%s.%N)" >>"$VMLAB_OUT/events.jsonl"; }
guest_match_clock "$REFERENCE_DEV"
( while :; do "$VMLAB_BIN/guestclock" show; sleep 0.5; done ) >"$VMLAB_OUT/timex.jsonl" 2>/dev/null &
watch_pid=$!
log "virtsyncd sync --sources:clocks=/dev/ptp_virtio_utc $opts"
# shellcheck disable=SC2086
(cd /run && exec $VMLAB_VIRTSYNCD sync --sources:clocks=/dev/ptp_virtio_utc $opts) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
daemon_pid=$!
event virtsync_start
guest_phase running
# BEFORE_S counts from virtsync's first estimate (READY): under TCG on a loaded host the .NET start alone can take a
# minute, and chronyd must find virtsync already steering.
waited=0
while ! grep -q "READY" "$VMLAB_OUT/virtsyncd-sync.log" 2>/dev/null && [ "$waited" -lt 300 ]; do sleep 1; waited=$((waited + 1)); done
event virtsync_ready
# The probe covers READY to the end: BEFORE_S, chronyd's start and CHRONY_S, its stop (up to 5 s) and AFTER_S, with
# 20 s to spare (counted from the start, it ended before the resume when READY came late: foreign run 06:54).
"$PHCREAD" probe "$REFERENCE_DEV" -t "$((before + chrony_s + after + 20))" -n 5 -r 20 -c realtime >"$VMLAB_OUT/reference.jsonl" 2>"$VMLAB_OUT/reference.err" &
probe_pid=$!
sleep "$before"
chrony_config "$REFERENCE_DEV" "poll 0 dpoll -2"
event chrony_start
chrony_start
log "chronyd started beside virtsync (PID $CHRONY_PID)"
sleep "$chrony_s"
virtsyncd status >"$VMLAB_OUT/virtsyncd-status-yielding.txt" 2>&1
chronyc tracking >"$VMLAB_OUT/chronyc-tracking.txt" 2>&1
# chronyd runs under the sid loader in a background subshell ($CHRONY_PID): stop chronyd itself, by its pid file.
chronyd_pid=$(cat "$CHRONY_DIR/chronyd.pid" 2>/dev/null)
kill "${chronyd_pid:-$CHRONY_PID}" 2>/dev/null
waited=0
while [ -n "$chronyd_pid" ] && kill -0 "$chronyd_pid" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
chrony_gone=true
[ -n "$chronyd_pid" ] && kill -0 "$chronyd_pid" 2>/dev/null && chrony_gone=false
wait "$CHRONY_PID" 2>/dev/null
event chrony_stop
log "chronyd stopped"
cp "$CHRONY_DIR/chronyd.out" "$VMLAB_OUT/chronyd.out" 2>/dev/null
sleep "$after"
virtsyncd status >"$VMLAB_OUT/virtsyncd-status-final.txt" 2>&1
alive=false
kill -0 "$daemon_pid" 2>/dev/null && alive=true
kill "$daemon_pid" 2>/dev/null
kill "$watch_pid" 2>/dev/null
wait "$probe_pid"
event end
cat >"$VMLAB_RESULT" <<JSON
{"pass":$alive,"daemon":"virtsync","daemon_options":$(json_str "$opts"),"before_s":$before,"chrony_s":$chrony_s,"after_s":$after,
 "served_device":"$SERVED_DEV","reference_device":"$REFERENCE_DEV",
 "checks":[$(json_check "virtsyncd still running at the end" "$alive"),$(json_check "chronyd stopped (pid file)" "$chrony_gone" "${chronyd_pid:-null}")]}
JSON
