# leap (host side): `virtsyncd serve` offers a whole set of simulated clocks (UTC, TAI, UTC-SLS and
# noon-linear smeared UTC) that run VMLAB_LEAP_IN_S (150) s before a UTC midnight when serve
# starts, with an extra inserted leap second at that midnight (--serve:simulated:leapAtUtc); the
# host's own clock is untouched. The guest gets a leap-seconds.list with the same extra leap (the
# real table's entries plus it, written here into out/), so `virtsyncd sync` knows it is coming.
#   env: VMLAB_LEAP_IN_S (150), VMLAB_LEAP_AFTER_S (40: how long the guest records after the
#        leap), VMLAB_LEAP_POLICY (kernel | slew | follow-smear; default kernel),
#        VMLAB_SYNC_OPTIONS (more options for the guest's sync)
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=0
SCENARIO_NEEDS_GUEST_DAEMON=1
leap_in_s=${VMLAB_LEAP_IN_S:-150}
now_s=$(date +%s)
# The second UTC midnight from now: far enough that the offset is never negative.
leap_at=$(( (now_s / 86400 + 2) * 86400 ))
leap_at_iso=$(date -u -d "@$leap_at" +%Y-%m-%dT%H:%M:%SZ)
offset_ms=$(( (leap_at - leap_in_s - now_s) * 1000 ))
SCENARIO_SERVE_ARGS=(--serve:clocks=simulated-utc,simulated-tai,simulated-smeared-sls,simulated-smeared-noon
  "--serve:simulated:offsetMs=$offset_ms" "--serve:simulated:leapAtUtc=$leap_at_iso"
  "--serve:simulated:epochUnixSeconds=$now_s")
SCENARIO_GUEST_ARGS=("$leap_at" "${VMLAB_LEAP_AFTER_S:-40}" "${VMLAB_LEAP_POLICY:-kernel}")
SCENARIO_ENV=("VMLAB_SYNC_OPTIONS=${VMLAB_SYNC_OPTIONS:-}")
SCENARIO_TIMEOUT=$(( leap_in_s + ${VMLAB_LEAP_AFTER_S:-40} + 240 ))

# The leap-seconds.list the guest uses: the embedded table's data lines plus the extra leap, a
# fresh update time and an expiry half a year after the leap (no #h line: the daemon warns that
# the file's integrity is not verified, which is true of a made-up table).
mkdir -p "$run_dir/out"
{
  ntp=2208988800
  echo "# leap-seconds.list for the virtsync VM lab: the real entries plus an extra leap at $leap_at_iso"
  echo "#\$	$((now_s + ntp))"
  echo "#@	$((leap_at + 183 * 86400 + ntp))"
  grep -E '^[0-9]' "$REPO_ROOT/src/Filters/Leap/leap-seconds.list"
  last=$(grep -E '^[0-9]' "$REPO_ROOT/src/Filters/Leap/leap-seconds.list" | tail -1 | awk '{print $2}')
  printf '%s\t%s\t# %s (made up for the lab)\n' "$((leap_at + ntp))" "$((last + 1))" "$leap_at_iso"
} >"$run_dir/out/leap-seconds.list"
printf '{"leap_at":%s,"leap_at_iso":"%s","serve_start":%s,"offset_ms":%s,"policy":"%s"}\n' \
  "$leap_at" "$leap_at_iso" "$now_s" "$offset_ms" "${VMLAB_LEAP_POLICY:-kernel}" >"$run_dir/leap.json"
