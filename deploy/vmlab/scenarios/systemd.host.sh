# systemd (host side): the guest boots systemd as PID 1 (guest/init-systemd.sh assembles a writable root from the
# host's Debian 12 root, VMLAB_SYSTEMD_ROOT=host, systemd 252; or from the lab's sid root, VMLAB_SYSTEMD_ROOT=sid)
# and runs systemd.guest.sh as vmlab-scenario.service. Our `serve` on the host is the guest's virtio-rtc device.
# The guest daemon must be a NativeAOT binary (VIRTSYNCD_GUEST; the units set MemoryDenyWriteExecute=yes).
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=0
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_INIT=$VMLAB_DIR/guest/init-systemd.sh
SCENARIO_ENV=("VMLAB_SYSTEMD_ROOT=${VMLAB_SYSTEMD_ROOT:-host}" "VMLAB_SYSTEMD_AFTER_S=${VMLAB_SYSTEMD_AFTER_S:-15}")
SCENARIO_TIMEOUT=${VMLAB_SYSTEMD_TIMEOUT:-600}
# The guest copies /etc into its tmpfs root: one tar file over 9p is read in seconds, a `cp -a` of the same ~1000
# files took 56 s under TCG on a loaded host. Secrets stay out (the guest needs none); the guest deletes the tar.
systemd_root=/
[ "${VMLAB_SYSTEMD_ROOT:-host}" = sid ] && systemd_root=$SID_ROOT
mkdir -p "$run_dir/out"
tar -C "$systemd_root" --exclude='etc/shadow*' --exclude='etc/gshadow*' --exclude='etc/ssh/ssh_host_*' \
  --exclude='etc/ssl/private' -cf "$run_dir/out/etc.tar" etc
