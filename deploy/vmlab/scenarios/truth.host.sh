# truth (host side): a daemon in the guest follows our served UTC clock, and the guest measures its clock against
# the host's UTC through no virtio device at all: QEMU stamps every write to an isa-parallel data port with the
# host's realtime clock (-msg timestamp=on -trace parallel_ioport_write -D truth-trace.log), and the guest's
# tools/truthprobe brackets each write between two CLOCK_REALTIME reads. deploy/vmlab/truth.py turns that into
# the truth and each daemon's error and bound coverage against it. QEMU's built-in virtio-rtc-pci stays attached
# as a second device (probed, not read by the daemon), so its bias against the truth is reported too.
#   env: VMLAB_TRUTH_DAEMON (virtsync | chrony, default virtsync), VMLAB_DURATION_S (default 600),
#        VMLAB_SYNC_OPTIONS (virtsyncd sync arguments, or chrony refclock options), VMLAB_TRUTH_RATE (writes/s,
#        default 100), VMLAB_SETTLE_S (default 60), VMLAB_CHRONY_EXTRA.
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_GUEST_ARGS=("${VMLAB_TRUTH_DAEMON:-virtsync}" "${VMLAB_DURATION_S:-600}" "${VMLAB_SYNC_OPTIONS:-}")
SCENARIO_TIMEOUT=$(( ${VMLAB_DURATION_S:-600} + 180 ))
SCENARIO_QEMU_ARGS=(-chardev null,id=truthpar -device isa-parallel,chardev=truthpar,iobase=0x378
  -msg timestamp=on -trace parallel_ioport_write -D "$run_dir/truth-trace.log")
for name in VMLAB_TRUTH_RATE VMLAB_TRUTH_BURST VMLAB_SERVED_PROBE_RATE VMLAB_SETTLE_S VMLAB_INITIAL_STEP_S VMLAB_PROBE_RATE VMLAB_CHRONY_EXTRA; do
  if [ -n "${!name:-}" ]; then SCENARIO_ENV+=("$name=${!name}"); fi
done
