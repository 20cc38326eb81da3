# faults (guest side): `virtsyncd sync` follows our served UTC clock while the host (faults.host.sh)
# kills and restarts the back end, steps the served clock by 100 ms and changes its rate by +30 ppm.
# The reference probe (QEMU's built-in device) runs throughout; the host's analysis looks for
# guest steps (second-to-second jumps of the reference offset), the time to resync after each
# fault and what the daemon's status said.
#   args: PHASE_S (seconds per phase, default 60)
# NOT COMPLETE: needs `virtsyncd serve` (with a control interface for step/rate) and `virtsyncd sync`.
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
phase=${1:-60}
if ! served_and_reference || [ -z "${VMLAB_VIRTSYNCD:-}" ]; then
  echo "{\"pass\":false,\"error\":\"needs our device, a built-in reference and VMLAB_VIRTSYNCD\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
total=$((phase * 5))
"$PHCREAD" probe "$REFERENCE_DEV" -t "$total" -n 5 -r 20 -c realtime >"$VMLAB_OUT/reference.jsonl" &
probe_pid=$!
(cd /run && exec $VMLAB_VIRTSYNCD sync) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
sync_pid=$!
# Phases the host acts on: synced (kill + restart the back end), step (served clock +100 ms),
# rate (served clock +30 ppm), end.
for p in synced restarted stepped rated; do
  sleep "$phase"
  guest_phase "$p"
  virtsyncd status >"$VMLAB_OUT/status-$p.txt" 2>&1
done
wait "$probe_pid"
alive=false
kill -0 "$sync_pid" 2>/dev/null && alive=true
kill "$sync_pid" 2>/dev/null
echo "{\"pass\":$alive,\"reference_file\":\"reference.jsonl\",\"phase_s\":$phase,\"settle_s\":$phase,\"checks\":[$(json_check "virtsyncd sync survived the faults" "$alive")]}" >"$VMLAB_RESULT"
