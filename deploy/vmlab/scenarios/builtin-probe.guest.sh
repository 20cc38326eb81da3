# builtin-probe (guest side): QEMU's built-in virtio-rtc-pci only. Checks that the driver binds
# and names the clock, which read methods work, and measures the reference probe's own noise.
#   args: SECONDS-PER-PROBE-RUN (default 20)
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
secs=${1:-20}
name="Virtio PTP type 0/variant 0"

if ! dev=$(ptp_by_name "$name" 10); then
  echo "{\"pass\":false,\"error\":\"no PTP clock named '$name'\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
  exit 1
fi
log "built-in device: $dev"
caps=$("$PHCREAD" caps "$dev")
read_json=$("$PHCREAD" read "$dev" -n 25)
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
echo "$caps"

# Bring the guest clock near the host's (the RTC starts it whole seconds off) so that realtime
# offsets read as small numbers.
guest_match_clock "$dev"
log "stepped the guest clock onto $dev: $("$PHCREAD" read "$dev" -n 5 | head -c 200)"

# Probe settings compared: samples per call x calls per second. Against CLOCK_MONOTONIC_RAW (which
# nothing steers) the probe's scatter around a straight line is its own noise.
files=""
for cfg in "5 20" "5 100" "25 20" "10 50"; do
  set -- $cfg
  f=probe-raw-n$1-r$2.jsonl
  log "probe monotonic_raw: $1 samples/call, $2 calls/s, $secs s"
  probe_run "$dev" "$secs" "$f" -c monotonic_raw -n "$1" -r "$2"
  files="$files${files:+,}\"$f\""
done
log "probe realtime: 5 samples/call, 100 calls/s, $secs s (no synchronization running)"
probe_run "$dev" "$secs" probe-realtime-n5-r100.jsonl -c realtime -n 5 -r 100
files="$files,\"probe-realtime-n5-r100.jsonl\""

dotnet_json=null
if [ -n "${VMLAB_VIRTSYNCD:-}" ]; then
  t0=$(cut -d' ' -f1 /proc/uptime)
  virtsyncd --version >/run/virtsyncd-version.txt 2>&1
  rc=$?
  t1=$(cut -d' ' -f1 /proc/uptime)
  dotnet_json="{\"command\":$(json_str "$VMLAB_VIRTSYNCD --version"),\"exit_code\":$rc,\"seconds\":$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'),\"output\":$(json_str "$(head -c 300 /run/virtsyncd-version.txt | tr '\n' ' ')")}"
  log "virtsyncd in the guest: exit $rc"
fi

pass=true
echo "$caps" | grep -q '"extended2_errno":0' || pass=false
echo "$read_json" | grep -q '"samples"' || pass=false
cat >"$VMLAB_RESULT" <<JSON
{"pass":$pass,"clocks":$(ptp_clocks_json),"device":"$dev","caps":$caps,"read":$read_json,
 "clocksource":"$clocksource","kernel":"$(uname -r)","probe_files":[$files],
 "virtsyncd":$dotnet_json}
JSON
