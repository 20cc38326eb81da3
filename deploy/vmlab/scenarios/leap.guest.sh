# leap (guest side): the served simulated clocks pass an inserted leap second at LEAP_AT (Unix
# seconds, a UTC midnight; leap.host.sh). The guest clock is put on the served UTC clock, then
# `virtsyncd sync` runs with the lab's leap-seconds.list (which has the extra leap) and the given
# leap policy, reading every served clock (it prefers TAI). Every second until AFTER_S past the
# leap it records:
#   leap.jsonl: for each served clock (utc, tai, sls, noon) the fastest of 3 samples of
#     PHC vs CLOCK_MONOTONIC_RAW (what the served clock itself does: nothing steers the raw
#     clock), for utc also vs CLOCK_REALTIME (how the guest follows), and the kernel's timex
#     (state TIME_OK/INS/OOP/WAIT, status with STA_INS, tai).
#   args: LEAP_AT AFTER_S POLICY
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
leap_at=$1 after_s=${2:-40} policy=${3:-kernel}
UTC_DEV=$(ptp_by_name "Virtio PTP type 0/variant 0" 20) || UTC_DEV=""
TAI_DEV=$(ptp_by_name "Virtio PTP type 1/variant 0" 5) || TAI_DEV=""
SLS_DEV=$(ptp_by_name "Virtio PTP type 3/variant 2" 5) || SLS_DEV=""
NOON_DEV=$(ptp_by_name "Virtio PTP type 3/variant 1" 5) || NOON_DEV=""
if [ -z "${VMLAB_VIRTSYNCD:-}" ] || [ -z "$UTC_DEV" ] || [ -z "$TAI_DEV" ] || [ -z "$SLS_DEV" ] || [ -z "$NOON_DEV" ]; then
  echo "{\"pass\":false,\"error\":\"needs our device with UTC, TAI, UTC-SLS and noon-smeared clocks and VMLAB_VIRTSYNCD\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
log "utc $UTC_DEV tai $TAI_DEV sls $SLS_DEV noon $NOON_DEV; leap at $leap_at, policy $policy"
guest_match_clock "$UTC_DEV"
log "guest clock now $(date -u +%FT%T)"
# shellcheck disable=SC2086
(cd /run && exec $VMLAB_VIRTSYNCD sync "--sources:leapSecondsFile=$VMLAB_OUT/leap-seconds.list" \
  "--discipline:leapPolicy=$policy" --logging:level=debug --logging:format=simple ${VMLAB_SYNC_OPTIONS:-}) \
  >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
sync_pid=$!
# Fastest sample of one EXTENDED2 call: offset (system clock - PHC) in ns.
# Fastest of 3 samples of one EXTENDED2 call as JSON members: "NAME":offset_ns,"NAME_d":delay_ns
# (offset = system clock - PHC).
fastest() { "$PHCREAD" read "$2" -n 3 -c "$3" | awk -v RS='{' -F'[:,}]' -v name="$1" \
  '/"offset_ns"/ { if (best == "" || $4 + 0 < best) { best = $4 + 0; off = $2 } } END { printf "\"%s\":%s,\"%s_d\":%s", name, off, name, best }'; }
i=0
limit=$((leap_at - $(date +%s) + after_s + 30))
while [ $i -lt "$limit" ]; do
  now=$(date +%s)
  [ "$now" -ge $((leap_at + after_s)) ] && break
  printf '{"t":%d,"wall":%s,%s,%s,%s,%s,%s,"kernel":%s}\n' \
    "$i" "$(date +%s.%N)" "$(fastest utc_raw "$UTC_DEV" monotonic_raw)" "$(fastest tai_raw "$TAI_DEV" monotonic_raw)" \
    "$(fastest sls_raw "$SLS_DEV" monotonic_raw)" "$(fastest noon_raw "$NOON_DEV" monotonic_raw)" \
    "$(fastest utc_rt "$UTC_DEV" realtime)" "$("$VMLAB_BIN/guestclock" show)" >>"$VMLAB_OUT/leap.jsonl"
  sleep 0.5
  i=$((i + 1))
done
virtsyncd status --json >"$VMLAB_OUT/status-end.json" 2>&1
dmesg >"$VMLAB_OUT/dmesg.txt" 2>&1
alive=false
kill -0 "$sync_pid" 2>/dev/null && alive=true
kill "$sync_pid" 2>/dev/null
echo "{\"pass\":$alive,\"leap_file\":\"leap.jsonl\",\"leap_at\":$leap_at,\"policy\":\"$policy\",\"checks\":[$(json_check "virtsyncd sync ran through the leap" "$alive")]}" >"$VMLAB_RESULT"
