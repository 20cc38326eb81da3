#!/bin/sh
# vmlab-scenario.service (written by guest/init-systemd.sh): runs the scenario under systemd as PID 1 and
# does what guest/init.sh does after it: the result between markers on the console, then power-off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
echo 1 >/proc/sys/kernel/printk
# shellcheck disable=SC1091
. /run/vmlab/guest.env
# shellcheck disable=SC1091
. /run/vmlab-root.env
export VMLAB_RESULT=/run/vmlab/result.json VMLAB_OUT=/run/vmlab
rm -f "$VMLAB_RESULT"
# shellcheck source=lib.sh
. "$VMLAB_DIR/guest/lib.sh"
cd /run || exit 1
echo "@@SYSTEMD $(cut -d' ' -f1 /proc/uptime)"
echo "@@SCENARIO $VMLAB_SCENARIO"
eval "set -- $VMLAB_ARGS"
# boot.sh's VMLAB_GUEST_TIMEOUT counts from a guest/init.sh start (~10 s after boot): systemd's boot is on top.
limit=$(awk -v t="${VMLAB_GUEST_TIMEOUT:-0}" -v u="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { l = int(t - (u - 10)); print (l < 30 ? 30 : l) }')
if [ -n "${VMLAB_GUEST_TIMEOUT:-}" ]; then
  timeout -k 5 "$limit" /bin/sh "$VMLAB_SCENARIO" "$@"
else
  /bin/sh "$VMLAB_SCENARIO" "$@"
fi
rc=$?
journalctl -b --no-pager -o short-monotonic >/run/vmlab/journal.txt 2>/dev/null
report_result "$rc"
sync
umount /run/vmlab 2>/dev/null
echo o >/proc/sysrq-trigger
sleep 60
