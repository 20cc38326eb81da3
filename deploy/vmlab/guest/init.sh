#!/bin/sh
# PID 1 of the VM lab guest. The root file system is the host's /, read-only over 9p; the host
# shares the run's folder read-write as the 9p tag vmlab_out, mounted here on /run/vmlab. That
# folder holds guest.env (written by boot.sh: VMLAB_SCENARIO, the scenario's arguments and
# settings); the scenario writes its result JSON to $VMLAB_RESULT and any bulky data beside it.
# The console carries markers the host reads:
#   @@INIT <uptime s>         init started
#   @@RESULT-BEGIN / -END     the result JSON between them (one object, possibly several lines)
#   @@EXIT <code>             the scenario's exit code
# Then the guest powers off (sysrq o). It never returns: PID 1 exiting would panic the kernel.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/run/home LANG=C.UTF-8 TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q ' /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
# Kernel messages would interleave with the scenario's output on the console.
echo 1 >/proc/sys/kernel/printk
mkdir -p /run/vmlab "$HOME"
echo "@@INIT $(cut -d' ' -f1 /proc/uptime)"

power_off() {
  sync
  umount /run/vmlab 2>/dev/null
  echo o >/proc/sysrq-trigger
  # The power-off is asynchronous and the root file system goes away under us: wait without
  # starting programs. (Should PID 1 exit instead, the panic with panic=-1 and -no-reboot ends QEMU.)
  while :; do :; done
}

if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vmlab_out /run/vmlab; then
  echo "@@RESULT-BEGIN"
  echo '{"pass":false,"error":"the run folder (9p tag vmlab_out) could not be mounted"}'
  echo "@@RESULT-END"
  echo "@@EXIT 125"
  power_off
fi

# shellcheck disable=SC1091
. /run/vmlab/guest.env
# A repository under /tmp or /run is hidden by the tmpfs mounts above: the host shares it (read-only)
# as vmlab_repo, mounted again at its own path so the scripts and the build output are where they were.
if [ -n "${VMLAB_REPO:-}" ] && [ ! -d "$VMLAB_REPO/deploy/vmlab" ]; then
  mkdir -p "$VMLAB_REPO"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro vmlab_repo "$VMLAB_REPO"
fi
export VMLAB_RESULT=/run/vmlab/result.json VMLAB_OUT=/run/vmlab
rm -f "$VMLAB_RESULT"
# shellcheck source=lib.sh
. "$VMLAB_DIR/guest/lib.sh"
cd /run || exit 1
echo "@@SCENARIO $VMLAB_SCENARIO"
# VMLAB_ARGS is written by boot.sh with shell quoting.
eval "set -- $VMLAB_ARGS"
if [ -n "${VMLAB_GUEST_TIMEOUT:-}" ]; then
  timeout -k 5 "$VMLAB_GUEST_TIMEOUT" /bin/sh "$VMLAB_SCENARIO" "$@"
else
  /bin/sh "$VMLAB_SCENARIO" "$@"
fi
rc=$?
report_result "$rc"
power_off
