# systemd (guest side): runs as vmlab-scenario.service under systemd as PID 1 (guest/init-systemd.sh built the
# root: the host's Debian 12 with systemd 252, or the sid root with sid's systemd). Installs virtsync with
# deploy/install.sh as a package would and checks the units under the real systemd:
#   1. systemd-analyze verify of the three units; `systemd-analyze security` exposure of virtsyncd.service (and
#      virtsyncd-chrony.service) against chrony.service (the sid root's, copied in on the host root) on this systemd;
#   2. `systemctl start virtsyncd`: Type=notify readiness (activating until the first reading; the state is polled
#      every 0.1 s), the daemon's capabilities (CAP_SYS_TIME only), `virtsyncd status` through the unit's
#      runtime directory, the clock steered (PHC reads pass the unit's DeviceAllow);
#   3. watchdog: SIGSTOP the daemon; systemd's WatchdogSec kills and restarts it;
#   4. SIGKILL: restarted after RestartSec; the steps the restarted daemon makes (from its log);
#   5. journal: `journalctl -u virtsyncd -o json` kept for the host's analysis (fields, times, steps);
#   6. virtsyncd-serve.service under the same systemd: started (READY), SIGKILL, restarted by systemd with its
#      listening socket from the fd store.
# Raw data goes to $VMLAB_OUT/systemd/; deploy/vmlab/systemdlab.py (run by analyze.py) does the rest.
# shellcheck shell=sh
. "$VMLAB_DIR/guest/lib.sh"
sd_out=$VMLAB_OUT/systemd
mkdir -p "$sd_out"
checks=""
add() { checks="$checks${checks:+,}$(json_check "$1" "$2" "${3:-null}")"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
event() { echo "$(uptime_s) $*" >>"$sd_out/events.txt"; log "$*"; }
show() { systemctl show "$1" -p "$2" --value; }
# Waits until UNIT runs a main process other than OLD_PID and is active, at most LIMIT_S seconds; sets new and state.
wait_restarted() { # UNIT OLD_PID LIMIT_S
  until_s=$(awk -v u="$(uptime_s)" -v l="$3" 'BEGIN { print u + l }')
  while :; do
    new=$(show "$1" MainPID)
    state=$(systemctl is-active "$1")
    [ "$new" != "$2" ] && [ "$new" != 0 ] && [ "$state" = active ] && return 0
    awk -v u="$(uptime_s)" -v e="$until_s" 'BEGIN { exit !(u > e) }' && return 1
    sleep 0.2
  done
}
finish() {
  journalctl -u virtsyncd.service -o json --no-pager >"$sd_out/journal-virtsyncd.json" 2>"$sd_out/journal.err"
  journalctl -u virtsyncd-serve.service -o json --no-pager >"$sd_out/journal-serve.json" 2>>"$sd_out/journal.err"
  ok=true
  case ",$checks," in *'"ok":false'*) ok=false ;; esac
  printf '{"pass":%s,"systemd_version":%s,"root":%s,"checks":[%s]}\n' "$ok" "$(json_str "$version")" \
    "$(json_str "$VMLAB_SYSTEMD_ROOT")" "$checks" >"$VMLAB_RESULT"
  exit 0
}

version=$(systemctl --version | awk 'NR == 1 { print $2 }')
systemctl --version >"$sd_out/systemctl-version.txt"
event "scenario start: PID 1 is $(cat /proc/1/comm), systemd $version, root $VMLAB_SYSTEMD_ROOT"
add "systemd is PID 1" "$([ "$(cat /proc/1/comm)" = systemd ] && echo true || echo false)" "$(json_str "$version")"
systemctl show -p UserspaceTimestampMonotonic -p KernelTimestampMonotonic >"$sd_out/boot-times.txt" 2>&1

# Our device (vhost-user-rtc-pci on the host's serve).
if ! ptp_wait_count "Virtio PTP type 0/variant 0" 30 1; then
  add "the served UTC clock is present" false
  finish
fi
ptp_clocks_json >"$sd_out/clocks.json"

# 1. Install as a package would; chrony.service for the comparison where the root has none.
if [ -z "${VMLAB_DAEMON_BINARY:-}" ] || [ ! -x "$VMLAB_DAEMON_BINARY" ]; then
  add "a NativeAOT virtsyncd for the guest (VIRTSYNCD_GUEST)" false "$(json_str "${VMLAB_VIRTSYNCD:-unset}")"
  finish
fi
"$VMLAB_REPO/deploy/install.sh" --binary "$VMLAB_DAEMON_BINARY" >"$sd_out/install.log" 2>&1
rc=$?
add "deploy/install.sh installs (exit $rc)" "$([ $rc -eq 0 ] && echo true || echo false)"
chrony_unit=/usr/lib/systemd/system/chrony.service
if [ ! -e "$chrony_unit" ] && [ -e "$VMLAB_SID_ROOT$chrony_unit" ]; then
  cp "$VMLAB_SID_ROOT$chrony_unit" /etc/systemd/system/chrony.service
  chrony_unit=/etc/systemd/system/chrony.service
  echo "sid's chrony.service copied in" >"$sd_out/chrony-unit.txt"
fi
systemctl daemon-reload
for u in virtsyncd.service virtsyncd-chrony.service virtsyncd-serve.service; do
  systemd-analyze verify "/etc/systemd/system/$u" >"$sd_out/verify-$u.txt" 2>&1
  rc=$?
  # Other units' complaints (the host's) are not ours: only lines naming our units count.
  ours=$(grep -c "virtsyncd" "$sd_out/verify-$u.txt")
  add "systemd-analyze verify $u (exit $rc, $ours lines about our units)" "$([ $rc -eq 0 ] && [ "$ours" -eq 0 ] && echo true || echo false)"
done
exposure() { sed -n 's/.*Overall exposure level for [^:]*: *\([0-9.]*\).*/\1/p' "$1" | head -1; }
for u in virtsyncd.service virtsyncd-chrony.service chrony.service; do
  systemd-analyze security --no-pager "$u" >"$sd_out/security-$u.txt" 2>&1
done
e_sync=$(exposure "$sd_out/security-virtsyncd.service.txt")
e_agent=$(exposure "$sd_out/security-virtsyncd-chrony.service.txt")
e_chrony=$(exposure "$sd_out/security-chrony.service.txt")
event "exposure: virtsyncd $e_sync, virtsyncd-chrony $e_agent, chrony $e_chrony"
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 <= b + 0) }'; }
add "exposure virtsyncd.service <= chrony.service" "$(le "$e_sync" "$e_chrony" && echo true || echo false)" \
  "{\"virtsyncd\":${e_sync:-null},\"virtsyncd-chrony\":${e_agent:-null},\"chrony\":${e_chrony:-null}}"

# The binary itself in this root, outside systemd.
(cd /run && timeout 60 /usr/local/bin/virtsyncd clocks) >"$sd_out/clocks-by-hand.txt" 2>&1
echo "exit $?" >>"$sd_out/clocks-by-hand.txt"

# 2. Start: activating until READY=1 (the first good reading), then active.
systemctl enable virtsyncd.service >/dev/null 2>&1
event "systemctl start virtsyncd"
systemctl start --no-block virtsyncd.service
seen_activating=false state=""
until_s=$(awk -v u="$(uptime_s)" 'BEGIN { print u + 120 }')
while :; do
  state=$(systemctl is-active virtsyncd.service)
  echo "$(uptime_s) $state $(show virtsyncd.service SubState) $(show virtsyncd.service NRestarts)" >>"$sd_out/start-poll.txt"
  [ "$state" = activating ] && seen_activating=true
  case $state in active | failed) break ;; esac
  # A unit that restarts while starting is "activating" too: stop after the first failure.
  [ "$(show virtsyncd.service NRestarts)" -gt 0 ] && break
  awk -v u="$(uptime_s)" -v e="$until_s" 'BEGIN { exit !(u > e) }' && break
  sleep 0.1
done
systemctl status --no-pager -l virtsyncd.service >"$sd_out/status-after-start.txt" 2>&1
journalctl -u virtsyncd.service --no-pager -o short-monotonic >"$sd_out/journal-start.txt" 2>&1
event "virtsyncd is $state"
systemctl show virtsyncd.service >"$sd_out/show-after-start.txt"
add "virtsyncd.service active after start" "$([ "$state" = active ] && echo true || echo false)" "$(json_str "$state")"
add "activating before active (Type=notify waits for READY=1)" "$seen_activating"
pid=$(show virtsyncd.service MainPID)
caps=$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
# CAP_SYS_TIME is bit 25.
add "the daemon's effective capabilities are CAP_SYS_TIME only" "$([ "$caps" = 0000000002000000 ] && echo true || echo false)" "$(json_str "$caps")"

if [ "$state" = active ]; then
# Let it settle, then status through /run/virtsync/status.sock.
sleep 15
virtsyncd_bin=/usr/local/bin/virtsyncd
(cd /run && "$virtsyncd_bin" status) >"$sd_out/status.txt" 2>&1
rc=$?
(cd /run && "$virtsyncd_bin" status --json) >"$sd_out/status.json" 2>&1
add "virtsyncd status through /run/virtsync/status.sock (exit $rc)" "$([ $rc -eq 0 ] && [ -s "$sd_out/status.txt" ] && echo true || echo false)" \
  "$(json_str "$(grep -i -m1 'state' "$sd_out/status.txt")")"
ls -la /run/virtsync >"$sd_out/runtime-dir.txt" 2>&1
"$VMLAB_BIN/guestclock" show >"$sd_out/timex-after-start.txt" 2>&1

# 3. Watchdog: a stopped daemon sends no WATCHDOG=1; systemd kills it after WatchdogSec and restarts it.
wd=$(show virtsyncd.service WatchdogUSec)
restarts0=$(show virtsyncd.service NRestarts)
event "SIGSTOP $pid (WatchdogUSec $wd, NRestarts $restarts0)"
kill -STOP "$pid"
new="" state=""
wait_restarted virtsyncd.service "$pid" 150
restarts1=$(show virtsyncd.service NRestarts)
event "after SIGSTOP: MainPID $new, $state, NRestarts $restarts1"
add "watchdog: the stopped daemon was killed and restarted" \
  "$([ "$new" != "$pid" ] && [ "$new" != 0 ] && [ "$state" = active ] && [ "$restarts1" -gt "$restarts0" ] && echo true || echo false)" \
  "{\"old_pid\":$pid,\"new_pid\":${new:-0},\"nrestarts\":${restarts1:-0}}"
kill -0 "$pid" 2>/dev/null && add "watchdog: the stopped process is gone" false "$pid"

# 4. SIGKILL: Restart=on-failure after RestartSec; the restarted daemon must not step beyond policy.
sleep 10
pid=$(show virtsyncd.service MainPID)
event "SIGKILL $pid"
kill -KILL "$pid"
new="" state=""
wait_restarted virtsyncd.service "$pid" 90
restarts2=$(show virtsyncd.service NRestarts)
event "after SIGKILL: MainPID $new, $state, NRestarts $restarts2"
add "SIGKILL: restarted by systemd" \
  "$([ "$new" != "$pid" ] && [ "$new" != 0 ] && [ "$state" = active ] && [ "$restarts2" -gt "$restarts1" ] && echo true || echo false)" \
  "{\"old_pid\":$pid,\"new_pid\":${new:-0},\"nrestarts\":${restarts2:-0}}"
sleep "${VMLAB_SYSTEMD_AFTER_S:-15}"
(cd /run && "$virtsyncd_bin" status --json) >"$sd_out/status-after-restarts.json" 2>&1
"$VMLAB_BIN/guestclock" show >"$sd_out/timex-end.txt" 2>&1
systemctl show virtsyncd.service >"$sd_out/show-end.txt"

fi

# Clean stop (SIGTERM): logged, no failure.
event "systemctl stop virtsyncd"
systemctl stop virtsyncd.service
add "virtsyncd stops cleanly (systemctl stop)" "$([ "$(show virtsyncd.service Result)" = success ] && echo true || echo false)" \
  "$(json_str "$(show virtsyncd.service Result)")"

# 6. serve under the same systemd (no VM connects here: its own listening socket goes to the fd store). Its unit
# joins the group kvm (SupplementaryGroups=): a host running QEMU has it, this root may not.
getent group kvm >/dev/null || { groupadd --system kvm && echo "group kvm created" >>"$sd_out/events.txt"; }
event "systemctl start virtsyncd-serve"
systemctl start virtsyncd-serve.service >"$sd_out/serve-start.txt" 2>&1
state=$(systemctl is-active virtsyncd-serve.service)
spid=$(show virtsyncd-serve.service MainPID)
nfd=$(show virtsyncd-serve.service NFileDescriptorStore)
event "virtsyncd-serve $state, MainPID $spid, NFileDescriptorStore $nfd"
add "virtsyncd-serve.service active (Type=notify)" "$([ "$state" = active ] && echo true || echo false)" "$(json_str "$state")"
# The shipped unit runs serve's loop thread (only it) under SCHED_FIFO 10: serve:realtimePriority through the unit's
# Environment=, allowed by LimitRTPRIO=10 and RestrictRealtime=no. /proc/PID/task/TID/stat after "comm) ": field 41
# (policy, 1 = SCHED_FIFO) is the 39th, field 40 (rt_priority) the 38th.
sleep 1
loop=""
for t in /proc/"$spid"/task/*; do [ "$(cat "$t/comm" 2>/dev/null)" = vhost-user-loop ] && loop=${t##*/}; done
rt=""
[ -n "$loop" ] && rt=$(sed 's/.*) //' /proc/"$spid"/task/"$loop"/stat | awk '{print $39, $38}')
event "serve loop thread ${loop:-absent}: policy rt_priority ${rt:-n/a}"
add "serve's loop thread under SCHED_FIFO 10 (shipped unit)" "$([ "$rt" = "1 10" ] && echo true || echo false)" "$(json_str "policy rt_priority: ${rt:-no loop thread}")"
[ -S /run/virtsync/vhost-rtc.sock ] && sock1=$(stat -c %i /run/virtsync/vhost-rtc.sock) || sock1=""
if [ "$state" = active ]; then
  kill -KILL "$spid"
  wait_restarted virtsyncd-serve.service "$spid" 60
  nfd2=$(show virtsyncd-serve.service NFileDescriptorStore)
  [ -S /run/virtsync/vhost-rtc.sock ] && sock2=$(stat -c %i /run/virtsync/vhost-rtc.sock) || sock2=""
  event "after SIGKILL of serve: MainPID $new, $state, NFileDescriptorStore $nfd2, socket inode $sock1 -> $sock2"
  add "virtsyncd-serve restarted after SIGKILL" "$([ "$new" != "$spid" ] && [ "$state" = active ] && echo true || echo false)" \
    "{\"fdstore_before\":${nfd:-null},\"fdstore_after\":${nfd2:-null},\"socket_inode_before\":${sock1:-null},\"socket_inode_after\":${sock2:-null}}"
fi
systemctl show virtsyncd-serve.service >"$sd_out/show-serve.txt"
systemctl stop virtsyncd-serve.service
finish
