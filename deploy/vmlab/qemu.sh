#!/usr/bin/env bash
# Runs Debian sid's QEMU 11 (from the lab cache's sid root) on this host, without chroot:
# sid's dynamic loader with sid's libraries, -L for sid's firmware folders, inside a private
# mount namespace where sid's QEMU module folder is bound over the host's (QEMU refuses modules
# of another build). The process keeps its PID through every exec, so a caller that started
# `qemu.sh ... &` may kill QEMU by $!.
#
#   deploy/vmlab/qemu.sh QEMU-ARGS...        run qemu-system-x86_64
#   deploy/vmlab/qemu.sh --version
#   deploy/vmlab/qemu.sh --accel             print the accelerator to use: VIRTSYNC_LAB_ACCEL
#                                            (tcg by default; kvm; auto = probe KVM, else tcg)
#   deploy/vmlab/qemu.sh --probe-kvm KERNEL  exit 0 when KVM boots KERNEL far enough (cached)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

sid_moddir=$SID_ROOT/usr/lib/x86_64-linux-gnu/qemu
host_moddir=/usr/lib/x86_64-linux-gnu/qemu

probe_kvm() {
  local kernel=$1 key result log
  [ -r /dev/kvm ] || return 1
  key=$(printf '%s %s %s' "$(uname -r)" "$(stat -c %s-%Y "$kernel")" "$SID_RECIPE" | sha256sum | cut -c1-16)
  result=$LAB_CACHE/kvm-probe.$key
  if [ ! -f "$result" ]; then
    log=$(mktemp)
    # No root file system: a kernel that runs under KVM gets as far as the VFS panic in seconds;
    # on these machines it hangs at "Decompressing Linux..." instead. panic=-1 + -no-reboot exits.
    timeout -s KILL 40 "$0" -accel kvm -M q35 -m 256M -smp 1 -nodefaults -display none -no-reboot \
      -serial stdio -kernel "$kernel" -append "console=ttyS0 panic=-1 root=/dev/nonexistent" \
      </dev/null >"$log" 2>&1 || true
    if grep -q -e 'VFS: Unable to mount root' -e 'Kernel panic' "$log"; then echo kvm >"$result"; else echo tcg >"$result"; fi
    rm -f "$log"
  fi
  [ "$(cat "$result")" = kvm ]
}

case ${1:-} in
  --accel)
    case ${VIRTSYNC_LAB_ACCEL:-tcg} in
      tcg) echo tcg ;;
      kvm) echo kvm ;;
      auto)
        kernel=$("$VMLAB_DIR/kernel.sh")
        if probe_kvm "$kernel"; then echo kvm; else echo tcg; fi ;;
      *) lab_die "VIRTSYNC_LAB_ACCEL must be tcg, kvm or auto" ;;
    esac
    exit 0 ;;
  --probe-kvm)
    [ $# -eq 2 ] || lab_die "usage: qemu.sh --probe-kvm KERNEL"
    probe_kvm "$2"; exit ;;
  --in-namespace)
    shift
    if [ -d "$host_moddir" ]; then mount --bind "$sid_moddir" "$host_moddir"; fi
    # Searched before the built-in module folder, so this holds where the host has no QEMU at all.
    export QEMU_MODULE_DIR=$sid_moddir
    lab_sid_exec /usr/bin/qemu-system-x86_64 \
      -L "$SID_ROOT/usr/share/qemu" -L "$SID_ROOT/usr/share/seabios" "$@" ;;
esac

lab_sid_ready || lab_die "the sid root is not ready: run deploy/vmlab/setup.sh"
lab_require_root
exec unshare -m --propagation private -- "$0" --in-namespace "$@"
