# smoke (guest side): the virtio_rtc driver binds to our vhost-user device; the clock names match
# what `virtsyncd serve` serves (UTC, TAI, MONOTONIC, UTC_SMEARED); every PHC answers EXTENDED2;
# TAI - UTC is 37 s; `virtsyncd clocks` lists the clocks; `virtsyncd sync` reaches READY and
# |offset| < 100 us within 60 s (offset measured independently with phcread on our UTC clock);
# an alarm set through the virtio RTC class device (/dev/rtcN of the UTC_SMEARED clock) fires.
#   args: SYNC_DEADLINE_S (default 60)
# Steps that need the daemon in the guest are skipped (and fail the run) when VMLAB_VIRTSYNCD is unset.
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
deadline=${1:-60}
checks=""
add() { checks="$checks${checks:+,}$(json_check "$1" "$2" "${3:-null}")"; }
ok() { if "$@" >/dev/null 2>&1; then echo true; else echo false; fi; }

# 1. Driver and names. The smeared clock's variant is whatever serve offers (1 = NOON_LINEAR).
ptp_wait_count "Virtio PTP type 2/variant 0" 20 1
clocks=$(ptp_clocks_json)
log "clocks: $clocks"
for want in "Virtio PTP type 0/variant 0" "Virtio PTP type 1/variant 0" "Virtio PTP type 2/variant 0"; do
  add "clock '$want' present" "$(ok ptp_by_name "$want" 0)"
done
smeared=$(for d in /sys/class/ptp/ptp*; do n=$(cat "$d/clock_name"); case $n in "Virtio PTP type 3/variant "*) echo "$n"; break ;; esac; done)
add "UTC_SMEARED clock present" "$([ -n "$smeared" ] && echo true || echo false)" "$(json_str "$smeared")"

# 2. Every PHC reads with EXTENDED2. UTC of our device: the first type-0 clock in PCI order.
utc=$(ptp_by_name_in_pci_order "Virtio PTP type 0/variant 0" | head -1)
tai=$(ptp_by_name "Virtio PTP type 1/variant 0" 0)
for d in /dev/ptp*; do
  r=$("$PHCREAD" read "$d" -n 5)
  add "EXTENDED2 on $d" "$(echo "$r" | grep -q '"samples"' && echo true || echo false)"
done
if [ -n "$utc" ] && [ -n "$tai" ]; then
  first_offset() { "$PHCREAD" read "$1" -n 5 | tr '{' '\n' | awk -F'[:,}]' '/offset_ns/ { print $2; exit }'; }
  # UTC, TAI, UTC: the guest's own clock is not disciplined yet and under a loaded TCG host it can run
  # milliseconds off between two reads, so TAI is compared with the mean of the UTC reads around it and
  # the tolerance grows by how far the guest clock moved against UTC meanwhile.
  u1=$(first_offset "$utc"); t=$(first_offset "$tai"); u2=$(first_offset "$utc")
  # offset = sys - phc, so TAI - UTC = offset(UTC) - offset(TAI)
  tai_utc=$(awk -v a="$u1" -v b="$u2" -v t="$t" 'BEGIN { printf "%.6f", ((a + b) / 2 - t) / 1e9 }')
  slack=$(awk -v a="$u1" -v b="$u2" 'BEGIN { d = (a - b) / 1e9; if (d < 0) d = -d; printf "%.6f", 0.01 + d }')
  add "TAI - UTC is 37 s" "$(awk -v x="$tai_utc" -v s="$slack" 'BEGIN { print (x > 37 - s && x < 37 + s) ? "true" : "false" }')" "$tai_utc"
fi

# 3. and 4. The daemon in the guest.
if [ -z "${VMLAB_VIRTSYNCD:-}" ]; then
  add "virtsyncd available in the guest" false
else
  virtsyncd clocks >"$VMLAB_OUT/virtsyncd-clocks.txt" 2>&1
  rc=$?
  listed=true
  for want in "type 0" "type 1" "type 2" "type 3"; do grep -qi "$want\|$(echo "$want" | sed 's/type 0/UTC/; s/type 1/TAI/; s/type 2/MONOTONIC/; s/type 3/SMEARED/')" "$VMLAB_OUT/virtsyncd-clocks.txt" || listed=false; done
  add "virtsyncd clocks lists the 4 clocks (exit $rc)" "$([ $rc -eq 0 ] && echo $listed || echo false)"

  # Start 0.5 s off so that sync has work to do (the guest is a VM: its clock is ours to change).
  guest_match_clock "$utc"
  guest_step_clock -0.5
  (cd /run && exec $VMLAB_VIRTSYNCD sync) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
  sync_pid=$!
  started=$(cut -d' ' -f1 /proc/uptime)
  reached="" ready=false
  while :; do
    now=$(cut -d' ' -f1 /proc/uptime)
    elapsed=$(awk -v a="$started" -v b="$now" 'BEGIN { printf "%d", b - a }')
    [ "$elapsed" -gt "$deadline" ] && break
    kill -0 "$sync_pid" 2>/dev/null || break
    grep -q "READY" "$VMLAB_OUT/virtsyncd-sync.log" && ready=true
    off=$("$PHCREAD" read "$utc" -n 10 | tr '{' '\n' | awk -F'[:,}]' '/offset_ns/ {
      if (!seen || $4 < best) { best = $4; off = $2; seen = 1 } } END { print off }')
    echo "$elapsed $off" >>"$VMLAB_OUT/smoke-offsets.txt"
    if $ready && [ "${off#-}" -lt 100000 ]; then reached=$elapsed; break; fi
    sleep 2
  done
  add "virtsyncd sync reaches READY" "$ready"
  add "|offset| < 100 us within ${deadline} s" "$([ -n "$reached" ] && echo true || echo false)" "${reached:-null}"
  kill "$sync_pid" 2>/dev/null
fi

# 5. Alarm through the RTC class device of the UTC_SMEARED clock.
alarm=$("$VMLAB_BIN/rtcalarm" virtio 3 20)
add "alarm on the virtio RTC fires" "$(echo "$alarm" | grep -q '"fired":true' && echo true || echo false)" "$alarm"

pass=$(echo "[$checks]" | grep -q '"ok":false' && echo false || echo true)
echo "{\"pass\":$pass,\"clocks\":$clocks,\"checks\":[$checks]}" >"$VMLAB_RESULT"
