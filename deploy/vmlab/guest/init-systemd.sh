#!/bin/sh
# PID 1 of the VM lab guest for scenarios that need a real init (the `systemd` scenario): it builds a
# writable root and hands PID 1 over to systemd, which then runs the scenario as vmlab-scenario.service.
#
# The kernel mounts the host's / read-only over 9p (as for guest/init.sh). systemd wants a writable /etc
# and /var, and deploy/install.sh writes /etc/systemd/system and /usr/local/bin, but the lab kernel has no
# overlayfs. So the new root is a tmpfs put together from:
#   usr                 the chosen root's /usr, bound read-only (bin, sbin, lib, lib64: its symlinks)
#   usr/local           a tmpfs (install.sh puts the binary there)
#   etc                 a tmpfs with a copy of the chosen root's /etc (the host packs it: etc.tar in the run
#                       folder, without shadow files and host keys); default.target ->
#                       vmlab.target (basic.target + vmlab-scenario.service: no getty, no multi-user
#                       services of the host); empty fstab; a fresh machine-id
#   var                 a tmpfs, with the lab cache ($VMLAB_CACHE: tools, sid root) bound at its path
#   $VMLAB_REPO         the repository (9p tag vmlab_repo, read-only), at its own path
#   opt/vmlab-daemon    the folder of the guest daemon binary (VMLAB_VIRTSYNCD), read-only
# The chosen root is the host's / (VMLAB_SYSTEMD_ROOT=host: Debian 12, systemd 252) or the lab's sid root
# (VMLAB_SYSTEMD_ROOT=sid: systemd from sid). /proc, /sys, /dev and /run (with the run folder on
# /run/vmlab) move into the new root with switch_root. The scenario's result goes to the console between
# the usual markers (guest/systemd-runner.sh prints them), so boot.sh needs nothing new.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q ' /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
echo 1 >/proc/sys/kernel/printk
mkdir -p /run/vmlab
echo "@@INIT $(cut -d' ' -f1 /proc/uptime)"

fail() {
  echo "@@RESULT-BEGIN"
  printf '{"pass":false,"error":"init-systemd: %s"}\n' "$1"
  echo "@@RESULT-END"
  echo "@@EXIT 125"
  sync
  echo o >/proc/sysrq-trigger
  while :; do :; done
}

mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vmlab_out /run/vmlab || fail "the run folder (9p tag vmlab_out) could not be mounted"
# shellcheck disable=SC1091
. /run/vmlab/guest.env

case ${VMLAB_SYSTEMD_ROOT:-host} in
  host) src="" ;;
  sid) src=$VMLAB_SID_ROOT ;;
  *) fail "VMLAB_SYSTEMD_ROOT must be host or sid, not ${VMLAB_SYSTEMD_ROOT}" ;;
esac
[ -x "$src/usr/lib/systemd/systemd" ] || fail "no systemd in ${src:-/} (usr/lib/systemd/systemd)"

new=/mnt
mount -t tmpfs -o mode=755 tmpfs "$new" || fail "tmpfs on $new"
for d in usr etc var run proc sys dev tmp root home srv opt media mnt boot; do mkdir -p "$new/$d"; done
chmod 1777 "$new/tmp"
chmod 700 "$new/root"
for l in bin sbin lib lib32 lib64 libx32; do
  [ -L "$src/$l" ] && ln -s "$(readlink "$src/$l")" "$new/$l"
done
mount --bind "$src/usr" "$new/usr" || fail "bind $src/usr"
mount -t tmpfs -o mode=755 tmpfs "$new/usr/local" || fail "tmpfs on usr/local"
mkdir -p "$new/usr/local/bin" "$new/usr/local/sbin" "$new/usr/local/lib" "$new/usr/local/share" "$new/usr/local/etc"

mount -t tmpfs -o mode=755 tmpfs "$new/etc" || fail "tmpfs on etc"
# The host packed the chosen root's /etc into the run folder (scenarios/systemd.host.sh): much faster than a copy
# file by file over 9p.
if [ -f /run/vmlab/etc.tar ]; then
  tar -C "$new" -xf /run/vmlab/etc.tar || fail "unpacking etc.tar"
  rm -f /run/vmlab/etc.tar
else
  cp -a "$src/etc/." "$new/etc/" || fail "copy of $src/etc"
fi
echo "@@PREINIT-ETC $(cut -d' ' -f1 /proc/uptime)"
echo "# vmlab: / is assembled by init-systemd.sh" >"$new/etc/fstab"
cat /proc/sys/kernel/random/uuid | tr -d '-' >"$new/etc/machine-id"
echo vmlab >"$new/etc/hostname"
rm -f "$new/etc/mtab"; ln -s ../proc/self/mounts "$new/etc/mtab"
units=$new/etc/systemd/system
mkdir -p "$units"
cat >"$units/vmlab.target" <<'EOF'
[Unit]
Description=VM lab: basic system and the scenario
Requires=basic.target vmlab-scenario.service
After=basic.target vmlab-scenario.service
AllowIsolate=yes
EOF
cat >"$units/vmlab-scenario.service" <<EOF
[Unit]
Description=VM lab scenario ($VMLAB_SCENARIO_SOURCE)
After=basic.target

[Service]
Type=oneshot
ExecStart=/bin/sh $VMLAB_DIR/guest/systemd-runner.sh
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
TTYReset=no
TTYVHangup=no
TimeoutStartSec=infinity
EOF
ln -sf vmlab.target "$units/default.target"
# No status lines on the console (the result markers must stay whole lines), even after a failed unit.
mkdir -p "$new/etc/systemd/system.conf.d"
printf '[Manager]\nShowStatus=no\nLogTarget=journal-or-kmsg\n' >"$new/etc/systemd/system.conf.d/vmlab.conf"

mount -t tmpfs -o mode=755 tmpfs "$new/var" || fail "tmpfs on var"
for d in lib log tmp cache spool; do mkdir -p "$new/var/$d"; done
chmod 1777 "$new/var/tmp"
ln -s ../run "$new/var/run"
ln -s ../run/lock "$new/var/lock"
if [ -n "${VMLAB_CACHE:-}" ] && [ -d "$VMLAB_CACHE" ]; then
  mkdir -p "$new$VMLAB_CACHE" 2>/dev/null && mount --bind "$VMLAB_CACHE" "$new$VMLAB_CACHE"
fi
mkdir -p "$new$VMLAB_REPO" || fail "no place for the repository at $VMLAB_REPO in the new root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro vmlab_repo "$new$VMLAB_REPO" || fail "mount of vmlab_repo"
# The guest daemon: a single NativeAOT binary (the units set MemoryDenyWriteExecute=yes: no JIT).
daemon=${VMLAB_VIRTSYNCD%% *}
if [ -n "$daemon" ] && [ -x "$daemon" ]; then
  mkdir -p "$new/opt/vmlab-daemon"
  mount --bind "$(dirname "$daemon")" "$new/opt/vmlab-daemon"
  echo "VMLAB_DAEMON_BINARY=/opt/vmlab-daemon/${daemon##*/}; export VMLAB_DAEMON_BINARY" >>/run/vmlab-root.env
fi
echo "VMLAB_SYSTEMD_ROOT=${VMLAB_SYSTEMD_ROOT:-host}; export VMLAB_SYSTEMD_ROOT" >>/run/vmlab-root.env
echo "@@PREINIT $(cut -d' ' -f1 /proc/uptime)"

# systemd prints nothing on the console (the markers must stay whole lines); its own log goes to the journal.
exec switch_root "$new" /usr/lib/systemd/systemd --show-status=no --log-target=journal-or-kmsg
fail "switch_root to systemd failed"
