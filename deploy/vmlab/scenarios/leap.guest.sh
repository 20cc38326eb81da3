# leap (guest side): the served clocks pass an inserted leap second (serve runs simulated clocks
# whose UTC reaches 23:59:60 a few minutes after start; UTC steps, TAI does not, the smeared clock
# smears). Records, every second, each PHC's offset to the guest's CLOCK_REALTIME and the kernel's
# leap state (guestclock show: state TIME_INS/TIME_OOP/TIME_WAIT, STA_INS, tai), for the analysis to
# compare with the configured policy.
#   args: DURATION_S (default 300)
# NOT COMPLETE: needs `virtsyncd serve` with simulated clocks and a leap, and `virtsyncd sync`.
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
duration=${1:-300}
if [ -z "${VMLAB_VIRTSYNCD:-}" ] || ! ptp_wait_count "Virtio PTP type 1/variant 0" 20 1; then
  echo "{\"pass\":false,\"error\":\"needs our device (TAI clock) and VMLAB_VIRTSYNCD\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
(cd /run && exec $VMLAB_VIRTSYNCD sync) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
sync_pid=$!
i=0
while [ $i -lt "$duration" ]; do
  for d in /dev/ptp*; do
    echo "{\"t\":$i,\"ptp\":\"$d\",\"read\":$("$PHCREAD" read "$d" -n 3)}" >>"$VMLAB_OUT/leap-phc.jsonl"
  done
  echo "{\"t\":$i,\"kernel\":$("$VMLAB_BIN/guestclock" show)}" >>"$VMLAB_OUT/leap-kernel.jsonl"
  sleep 1
  i=$((i + 1))
done
alive=false
kill -0 "$sync_pid" 2>/dev/null && alive=true
kill "$sync_pid" 2>/dev/null
echo "{\"pass\":$alive,\"checks\":[$(json_check "virtsyncd sync ran through the leap" "$alive")]}" >"$VMLAB_RESULT"
