# faults (guest side): `virtsyncd sync` follows our served (simulated) UTC clock through a scheduled
# +100 ms step and +30 ppm rate, then the host (faults.host.sh) kills the back end (and restarts it
# when QEMU can reconnect). Two probes run throughout:
#   served.jsonl     guest CLOCK_REALTIME - served clock (our device; gaps while the back end is down):
#                    when the guest is synchronized again, how it follows the step and the rate;
#   reference.jsonl  guest CLOCK_REALTIME - host clock (QEMU's built-in device, never interrupted):
#                    the guest's own steps (a change of more than 1 ms from one second to the next
#                    is more than the kernel's 500 ppm slew can do).
# `virtsyncd status --json` is saved at the end of each phase. analyze.py does the rest.
#   args: SYNC_S FOLLOW_S HOLDOVER_S (seconds per phase; defaults 50 140 40)
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
sync_s=${1:-50} follow_s=${2:-140} holdover_s=${3:-40}
if ! served_and_reference || [ -z "${VMLAB_VIRTSYNCD:-}" ]; then
  echo "{\"pass\":false,\"error\":\"needs our device, a built-in reference and VMLAB_VIRTSYNCD\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
log "served: $SERVED_DEV reference: $REFERENCE_DEV"
# Start on the served clock (the RTC starts the guest whole seconds off): the run is about faults.
guest_match_clock "$SERVED_DEV"
# The probes outlast the phases (status calls take seconds under TCG); they are stopped at the end.
total=$((sync_s + follow_s + holdover_s + 120))
"$PHCREAD" probe "$SERVED_DEV" -t "$total" -n 5 -r 10 -c realtime >"$VMLAB_OUT/served.jsonl" 2>&1 &
served_pid=$!
"$PHCREAD" probe "$REFERENCE_DEV" -t "$total" -n 5 -r 20 -c realtime >"$VMLAB_OUT/reference.jsonl" 2>&1 &
probe_pid=$!
# Only our device is a source (the built-in one is the reference; the daemon would read every
# virtio clock otherwise). Debug: every clock command (frequency, step with its sign) is logged.
(cd /run && exec $VMLAB_VIRTSYNCD sync "--sources:clocks=$SERVED_DEV" --logging:level=debug --logging:format=simple) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
sync_pid=$!
status() { date +%s.%N >"$VMLAB_OUT/status-$1.asked"; virtsyncd status --json >"$VMLAB_OUT/status-$1.json" 2>"$VMLAB_OUT/status-$1.err"; virtsyncd status >"$VMLAB_OUT/status-$1.txt" 2>&1; }
sleep "$sync_s"
status synced
guest_phase synced
sleep "$follow_s"
status followed
guest_phase followed
# The host kills the back end at "followed" and restarts it VMLAB_FAULT_DOWN_S (8) s later: ask
# status while it is down.
down_s=${VMLAB_FAULT_STATUS_DOWN_S:-6}
sleep "$down_s"
status down
sleep "$((holdover_s > down_s ? holdover_s - down_s : 1))"
status end
guest_phase end
alive=false
kill -0 "$sync_pid" 2>/dev/null && alive=true
kill "$sync_pid" 2>/dev/null
# The served probe may hang in its ioctl once the back end is gone: no wait for it.
kill "$probe_pid" "$served_pid" 2>/dev/null
echo "{\"pass\":$alive,\"served_file\":\"served.jsonl\",\"reference_file\":\"reference.jsonl\",\"sync_log\":\"virtsyncd-sync.log\",\"phases_s\":[$sync_s,$follow_s,$holdover_s],\"status_files\":[\"status-synced.json\",\"status-followed.json\",\"status-down.json\",\"status-end.json\"],\"checks\":[$(json_check "virtsyncd sync survived the faults" "$alive")]}" >"$VMLAB_RESULT"
