#!/bin/sh
# PID 1 of the snapshot-restore guest (deploy/vmlab/snapshot-restore.sh): an initramfs with no 9p mount (QEMU refuses
# to migrate a VM whose guest has a 9p export mounted), so the host can save the running VM to a file and restore it in
# a new QEMU. Two QEMU built-in virtio-rtc-pci devices: the first's UTC clock is what virtsyncd sync follows, the last's
# the reference that phcread probes (never read by the daemon); QEMU's vmclock device gives /dev/vmclock0. Everything
# goes out on the console, so it survives the restore (the second QEMU writes a new console file):
#   @@INIT/@@PHASE/@@EXIT markers, "@@LOG <line>" the daemon's log, "@@PROBE <json>" the probe's seconds,
#   "@@STATUS <line>" virtsyncd status at the end, "@@CLOCKS <json>" virtsyncd clocks --json (the vmclock page).
# Settings in /etc/vmlab.env: DURATION_S (guest seconds to run; they stand still while the VM is saved).
export PATH=/bin HOME=/run LANG=C.UTF-8 TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
echo 1 >/proc/sys/kernel/printk
echo "@@INIT $(cut -d' ' -f1 /proc/uptime)"
# shellcheck disable=SC1091
. /etc/vmlab.env
export VMLAB_BIN=/bin VMLAB_OUT=/run/out VMLAB_RESULT=/run/out/result.json VMLAB_VIRTSYNCD=/bin/virtsyncd
mkdir -p "$VMLAB_OUT" /run/virtsync /run/clockbound
# shellcheck disable=SC1091
. /lib/vmlab/lib.sh
finish() {
  echo "@@EXIT $1"
  echo o >/proc/sysrq-trigger
  while :; do sleep 1; done
}
served_and_reference || { echo "@@ERROR need two UTC virtio PTP clocks: $(ptp_clocks_json)"; finish 1; }
echo "@@DEVICES served $SERVED_DEV reference $REFERENCE_DEV vmclock $(ls /dev/vmclock0 2>&1)"
# No guestclock match: it runs only in run.sh's 9p guest. The clock starts from the CMOS RTC (whole seconds) and the
# daemon steps it once at start-up (reason startup, not judged).
echo "@@CLOCKS $(virtsyncd clocks --json 2>&1 | tr -d '\n')"
"$PHCREAD" probe "$REFERENCE_DEV" -t "$DURATION_S" -n 5 -r 20 -c realtime 2>&1 | sed -u 's/^/@@PROBE /' &
(cd /run && exec /bin/virtsyncd sync --sources:clocks=/dev/ptp_virtio_utc 2>&1) | sed -u 's/^/@@LOG /' &
echo "@@PHASE running"
sleep "$DURATION_S"
echo "@@CLOCKS $(virtsyncd clocks --json 2>&1 | tr -d '\n')"
virtsyncd status 2>&1 | sed 's/^/@@STATUS /'
finish 0
