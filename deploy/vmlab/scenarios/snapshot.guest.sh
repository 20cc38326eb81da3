# snapshot (guest side): virtsyncd sync follows the served UTC clock for DURATION_S with QEMU's vmclock device present
# (its watcher reads /dev/vmclock0 before every reading); `virtsyncd clocks` before and after shows the vmclock page
# (disruption marker). The host tries to save the VM meanwhile (see snapshot.host.sh).
#   args: DURATION_S
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
duration=${1:-75}
require_served_and_reference
ls -l /dev/vmclock0 >"$VMLAB_OUT/vmclock-dev.txt" 2>&1
virtsyncd clocks --json >"$VMLAB_OUT/clocks-start.json" 2>"$VMLAB_OUT/clocks-start.err"
guest_match_clock "$REFERENCE_DEV"
(cd /run && exec $VMLAB_VIRTSYNCD sync --sources:clocks=/dev/ptp_virtio_utc) >"$VMLAB_OUT/virtsyncd-sync.log" 2>&1 &
daemon_pid=$!
guest_phase running
sleep "$duration"
virtsyncd clocks --json >"$VMLAB_OUT/clocks-end.json" 2>"$VMLAB_OUT/clocks-end.err"
alive=false
kill -0 "$daemon_pid" 2>/dev/null && alive=true
kill "$daemon_pid" 2>/dev/null
watched=false
grep -q "watching vmclock's disruption marker" "$VMLAB_OUT/virtsyncd-sync.log" && watched=true
vmclock=false
[ -e /dev/vmclock0 ] && vmclock=true
cat >"$VMLAB_RESULT" <<JSON
{"pass":$alive,"daemon":"virtsync","duration_s":$duration,"served_device":"$SERVED_DEV","reference_device":"$REFERENCE_DEV",
 "checks":[$(json_check "virtsyncd still running at the end" "$alive"),$(json_check "/dev/vmclock0 present (QEMU -device vmclock, ptp_vmclock)" "$vmclock"),$(json_check "virtsyncd watches the vmclock disruption marker" "$watched")]}
JSON
