# shellcheck shell=sh
# Helpers for guest-side scenario scripts (POSIX sh; the guest runs the host's /bin/sh).
# Source it with: . "$VMLAB_DIR/guest/lib.sh"
# Set by init.sh/boot.sh: VMLAB_DIR, VMLAB_BIN (phcread), VMLAB_SID_ROOT, VMLAB_OUT (the run
# folder, shared with the host), VMLAB_RESULT (write the result JSON there).

PHCREAD=$VMLAB_BIN/phcread
CHRONY_DIR=/run/chrony

log() { echo "[guest $(cut -d' ' -f1 /proc/uptime)] $*"; }

# JSON string literal of $1 (quotes and backslashes escaped; no control characters expected).
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# JSON array of {"device","name"} for every PTP clock.
ptp_clocks_json() {
  sep="" out="["
  for d in /sys/class/ptp/ptp*; do
    [ -e "$d/clock_name" ] || continue
    out="$out$sep{\"device\":$(json_str "/dev/${d##*/}"),\"name\":$(json_str "$(cat "$d/clock_name")")}"
    sep=","
  done
  printf '%s]' "$out"
}

# Prints /dev/ptpN of the first clock named $1 (exit 1 when none); waits up to $2 seconds (default 10).
ptp_by_name() {
  waited=0
  while :; do
    for d in /sys/class/ptp/ptp*; do
      [ -e "$d/clock_name" ] && [ "$(cat "$d/clock_name")" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
    done
    [ "$waited" -ge "${2:-10}" ] && return 1
    sleep 1
    waited=$((waited + 1))
  done
}

# Runs a program of the sid root (glibc 2.43) on the guest, which sees the host's / (the cache).
sid_exec() {
  prog=$1; shift
  "$VMLAB_SID_ROOT/usr/lib64/ld-linux-x86-64.so.2" \
    --library-path "$VMLAB_SID_ROOT/usr/lib/x86_64-linux-gnu:$VMLAB_SID_ROOT/lib/x86_64-linux-gnu" \
    "$VMLAB_SID_ROOT$prog" "$@"
}

# Writes a chrony.conf for a PHC refclock to $CHRONY_DIR/chrony.conf. Everything chrony writes is
# under /run (the root is read-only); logs go to $CHRONY_DIR/log.
#   chrony_config DEVICE "REFCLOCK-OPTIONS" [EXTRA-LINES]
chrony_config() {
  mkdir -p "$CHRONY_DIR/log"
  # chronyd disables its command socket unless the folder is closed to others.
  chmod 750 "$CHRONY_DIR"
  cat >"$CHRONY_DIR/chrony.conf" <<CONF
refclock PHC $1 $2
makestep 1 3
driftfile $CHRONY_DIR/drift
pidfile $CHRONY_DIR/chronyd.pid
bindcmdaddress $CHRONY_DIR/chronyd.sock
cmdport 0
port 0
user root
logdir $CHRONY_DIR/log
log tracking refclocks statistics
${3:-}
CONF
}

# Starts chronyd 4.9 from the sid root in the background (-d: foreground, log to stderr, which
# goes to $CHRONY_DIR/chronyd.out); sets CHRONY_PID. (Not $(...): that would wait for chronyd.)
chrony_start() {
  sid_exec /usr/sbin/chronyd -f "$CHRONY_DIR/chrony.conf" -d </dev/null >"$CHRONY_DIR/chronyd.out" 2>&1 &
  CHRONY_PID=$!
}

# -u root: chronyc would otherwise drop to _chrony, a user the host may not have.
chronyc() { sid_exec /usr/bin/chronyc -u root -h "$CHRONY_DIR/chronyd.sock" "$@"; }

# Reference probe on a PHC (phcread probe): JSON lines into $VMLAB_OUT/FILE.
#   probe_run DEVICE SECONDS FILE [phcread options]
probe_run() {
  dev=$1 secs=$2 file=$3; shift 3
  "$PHCREAD" probe "$dev" -t "$secs" "$@" >"$VMLAB_OUT/$file"
}

# Steps the guest's CLOCK_REALTIME by $1 seconds (may be negative, fractions allowed), atomically
# (ADJ_SETOFFSET). The guest is a VM: changing its clock is what the lab is for. guestclock refuses
# to run anywhere but in the lab guest.
guest_step_clock() { "$VMLAB_BIN/guestclock" step "$1" >/dev/null; }

# Steps the guest's CLOCK_REALTIME onto the PHC $1 (measured and stepped in one process).
guest_match_clock() { "$VMLAB_BIN/guestclock" match "$1" >/dev/null; }

# The virtsyncd command for the guest, from VMLAB_VIRTSYNCD (set by run.sh: a NativeAOT binary,
# or "dotnet /path/virtsyncd.dll"). .NET programs must start in /run, not / (see vmlab.md).
virtsyncd() {
  [ -n "${VMLAB_VIRTSYNCD:-}" ] || { echo "VMLAB_VIRTSYNCD is not set" >&2; return 127; }
  # shellcheck disable=SC2086
  (cd /run && exec $VMLAB_VIRTSYNCD "$@")
}

# Prints the /dev/ptpN of every clock named $1, in PCI order of their virtio devices (boot.sh
# attaches vhost-user devices first, then QEMU's built-in ones), one per line.
ptp_by_name_in_pci_order() {
  for d in /sys/class/ptp/ptp*; do
    [ -e "$d/clock_name" ] && [ "$(cat "$d/clock_name")" = "$1" ] || continue
    echo "$(readlink -f "$d/device") /dev/${d##*/}"
  done | sort | cut -d' ' -f2
}

# Waits up to $2 s (default 15) until $3 (default 1) clocks named $1 exist.
ptp_wait_count() {
  waited=0
  while [ "$(ptp_by_name_in_pci_order "$1" | wc -l)" -lt "${3:-1}" ]; do
    [ "$waited" -ge "${2:-15}" ] && return 1
    sleep 1
    waited=$((waited + 1))
  done
}

# The accuracy set-up: the served UTC clock is the first "type 0" clock in PCI order (our
# vhost-user device, or the first built-in device when the scenario serves with QEMU's), the
# reference is the last (QEMU's built-in device). Sets SERVED_DEV and REFERENCE_DEV and makes
# the udev-style link /dev/ptp_virtio_utc -> SERVED_DEV, as users would have it.
served_and_reference() {
  utc="Virtio PTP type 0/variant 0"
  ptp_wait_count "$utc" 15 2 || return 1
  SERVED_DEV=$(ptp_by_name_in_pci_order "$utc" | head -1)
  REFERENCE_DEV=$(ptp_by_name_in_pci_order "$utc" | tail -1)
  ln -sf "$SERVED_DEV" /dev/ptp_virtio_utc
  # The reference (QEMU's built-in device) by a stable name too, for runs that let the daemon read it
  # (truth with VMLAB_SYNC_OPTIONS="--sources:combine=true --sources:clocks=/dev/ptp_virtio_utc,/dev/ptp_builtin_utc").
  ln -sf "$REFERENCE_DEV" /dev/ptp_builtin_utc
}

# served_and_reference, or the scenario ends here with a result naming the clocks the guest has.
require_served_and_reference() {
  if ! served_and_reference; then
    echo "{\"pass\":false,\"error\":\"need two UTC virtio PTP clocks (served + reference)\",\"clocks\":$(ptp_clocks_json)}" >"$VMLAB_RESULT"
    exit 1
  fi
}

# JSON check object for the result's "checks" list.
json_check() { # NAME OK(true|false) VALUE-JSON
  printf '{"name":%s,"ok":%s,"value":%s}' "$(json_str "$1")" "$2" "${3:-null}"
}

# Tells the host's run.sh (wait_guest_phase) where the scenario is.
guest_phase() { echo "@@PHASE $1"; }

# The end of a guest run, for guest/init.sh and guest/systemd-runner.sh: the result JSON between the console markers
# the host reads (a failure object naming the exit code when the scenario wrote none), the kernel log beside it, and
# the scenario's exit code.
report_result() { # EXIT-CODE
  echo "@@RESULT-BEGIN"
  if [ -s "$VMLAB_RESULT" ]; then
    cat "$VMLAB_RESULT"
    echo
  else
    echo "{\"pass\":false,\"error\":\"the scenario wrote no result\",\"exit_code\":$1}"
  fi
  echo "@@RESULT-END"
  dmesg >/run/vmlab/dmesg.txt 2>/dev/null
  echo "@@EXIT $1"
}
