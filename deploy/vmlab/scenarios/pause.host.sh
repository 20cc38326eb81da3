# pause (host side): the daemon in the guest (virtsync, or chrony with `makestep 1 3` as users run it) follows the
# served UTC clock (vhost-user, serve); the VM is paused through QEMU's monitor (QMP stop, wait, cont) once for each
# of VMLAB_PAUSES_S. Under TCG the guest's clocks stand still while paused, so it comes back behind by the pause.
# QEMU's built-in virtio-rtc-pci is the independent reference: probed by phcread in the guest, never read by the
# daemon. deploy/vmlab/pause.py measures, per pause, the time until the clock is back within 50 us of the reference
# and stays there for 60 s, the largest error, and the daemon's steps (from its own log).
#   env: VMLAB_PAUSE_DAEMON (virtsync | chrony, default virtsync), VMLAB_PAUSES_S (default "10 120"),
#        VMLAB_SETTLE_S (before the first pause, default 60), VMLAB_AFTER_S (after each resume, default 75),
#        VMLAB_SYNC_OPTIONS (virtsyncd sync arguments, or chrony refclock options).
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
pauses=${VMLAB_PAUSES_S:-10 120}
pause_settle_s=${VMLAB_SETTLE_S:-60}
pause_after_s=${VMLAB_AFTER_S:-75}
pause_total_pause_s=0
pause_guest_s=$pause_settle_s
for p in $pauses; do
  pause_total_pause_s=$((pause_total_pause_s + p))
  pause_guest_s=$((pause_guest_s + pause_after_s))
done
# Guest time stands still while paused: the guest runs settle + after per pause (+10 s) of its own time.
SCENARIO_GUEST_ARGS=("${VMLAB_PAUSE_DAEMON:-virtsync}" "$((pause_guest_s + 10))" "${VMLAB_SYNC_OPTIONS:-}")
SCENARIO_TIMEOUT=$((pause_guest_s + pause_total_pause_s + 300))
SCENARIO_QEMU_ARGS=(-qmp "unix:$run_dir/qmp.sock,server=on,wait=off")
pause_event() { # NAME HOST-WALL PAUSE-S SENT-WALL (host wall time before the QMP command was sent, after its reply)
  printf '{"event":"%s","host_wall":%s,"pause_s":%s,"sent_wall":%s}\n' "$1" "$2" "$3" "$4" >>"$run_dir/events.jsonl"
}
scenario_during() {
  wait_guest_phase running 900 || return 0
  sleep "$pause_settle_s"
  local p sent
  for p in $pauses; do
    lab_log "pause: QMP stop for $p s"
    sent=$(date +%s.%N)
    if "$python" "$VMLAB_DIR/tools/qmp.py" "$run_dir/qmp.sock" stop >>"$run_dir/qmp.log" 2>&1; then
      pause_event stop "$(date +%s.%N)" "$p" "$sent"
    else
      host_check "QMP stop" false "\"$(tail -1 "$run_dir/qmp.log")\""
      return 0
    fi
    sleep "$p"
    sent=$(date +%s.%N)
    "$python" "$VMLAB_DIR/tools/qmp.py" "$run_dir/qmp.sock" cont >>"$run_dir/qmp.log" 2>&1 \
      || host_check "QMP cont" false "\"$(tail -1 "$run_dir/qmp.log")\""
    pause_event cont "$(date +%s.%N)" "$p" "$sent"
    lab_log "pause: QMP cont after $p s"
    sleep "$pause_after_s"
  done
  host_check "VM paused and resumed through QMP" true "\"$pauses\""
}
