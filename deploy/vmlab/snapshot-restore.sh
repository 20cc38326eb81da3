#!/usr/bin/env bash
# Snapshot restore in the VM lab (issue 13): save a running guest to a file and restore it in a new QEMU a while later,
# with QEMU's vmclock device, and see what virtsyncd does. Not a run.sh scenario: run.sh's guests boot from 9p
# mounts, and QEMU refuses to migrate a VM whose guest has a 9p export mounted; our vhost-user-rtc device cannot
# migrate either. So this guest is an initramfs (guest/init-initramfs.sh, no mounts), the daemon follows QEMU's
# built-in virtio-rtc-pci (which migrates), and a second built-in device is the reference.
#   snapshot-restore.sh RUN_DIR
#   env: VIRTSYNCD_GUEST (a NativeAOT virtsyncd, required), VMLAB_SETTLE_S (45: before the save),
#        VMLAB_GAP_S (60: between the save and the restore), VMLAB_AFTER_S (75: after the restore; the 60 s hold needs the recovery + 60 s).
# Writes RUN_DIR/console-1.log and console-2.log (the two QEMUs' consoles), out/ as the pause scenario lays it out
# (reference.jsonl, virtsyncd-sync.log; events.jsonl with the restore as a `cont` of a pause of the gap), and
# RUN_DIR/snapshot.json: pause.py's figures plus whether the vmclock marker was acted on before the jump step.
set -euo pipefail
VMLAB_DIR=$(cd "$(dirname "$0")" && pwd)
. "$VMLAB_DIR/lib.sh"
trap 'lab_log "error: line $LINENO: $BASH_COMMAND failed"' ERR
run_dir=${1:?usage: snapshot-restore.sh RUN_DIR}
guest_daemon=${VIRTSYNCD_GUEST:?set VIRTSYNCD_GUEST to a NativeAOT virtsyncd}
settle_s=${VMLAB_SETTLE_S:-45} gap_s=${VMLAB_GAP_S:-60} after_s=${VMLAB_AFTER_S:-75}
python=$(command -v python3)
mkdir -p "$run_dir/out"
run_dir=$(cd "$run_dir" && pwd)
root=$run_dir/initramfs
rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,etc,lib/vmlab,var}
ln -s ../run "$root/var/run"
# Programs the guest scripts use, with their libraries (the daemon and the lab tools are one file each).
copy_with_libs() {
  local f lib
  for f in "$@"; do
    cp -L "$f" "$root/bin/"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
      mkdir -p "$root$(dirname "$lib")"
      [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
    done
  done
}
copy_with_libs "$(command -v dash)" "$(command -v mount)" "$(command -v sleep)" "$(command -v cat)" "$(command -v cut)" \
  "$(command -v sed)" "$(command -v sort)" "$(command -v readlink)" "$(command -v ls)" "$(command -v ln)" "$(command -v wc)" \
  "$(command -v head)" "$(command -v tail)" "$(command -v mkdir)" "$(command -v tr)" "$guest_daemon" \
  "$LAB_CACHE/bin/phcread"
# Loaded with dlopen, so ldd does not name them: .NET's cryptography (the daemon aborts with "No usable version of
# libssl was found" without them).
for lib in libssl.so.3 libcrypto.so.3; do
  # (awk reads to the end: an early exit would kill ldconfig with SIGPIPE, and pipefail end the script silently)
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !p { p = $NF } END { print p }')
  [ -n "$path" ] || lab_die "$lib not found on this host (ldconfig -p)"
  mkdir -p "$root$(dirname "$path")" && cp -L "$path" "$root$path"
done
ln -s dash "$root/bin/sh"
[ -e "$root/bin/virtsyncd" ] || mv "$root/bin/$(basename "$guest_daemon")" "$root/bin/virtsyncd"
cp "$VMLAB_DIR/guest/lib.sh" "$root/lib/vmlab/lib.sh"
cp "$VMLAB_DIR/guest/init-initramfs.sh" "$root/init"
printf 'DURATION_S=%s\n' "$((settle_s + after_s + 20))" >"$root/etc/vmlab.env"
"$python" "$VMLAB_DIR/tools/mkinitramfs.py" "$root" "$run_dir/initramfs.gz"
kernel=$("$VMLAB_DIR/kernel.sh")
qemu_args=(-accel tcg -M q35 -m 512M -smp 2 -nodefaults -display none -no-reboot -kernel "$kernel" -initrd "$run_dir/initramfs.gz"
  -append "console=ttyS0 rdinit=/init panic=-1 loglevel=1 no_timer_check" -device virtio-rtc-pci -device virtio-rtc-pci -device vmclock)
qmp() { "$python" "$VMLAB_DIR/tools/qmp.py" "$1" "${@:2}"; }
event() { printf '{"event":"%s","host_wall":%s,"pause_s":%s,"sent_wall":%s}\n' "$1" "$(date +%s.%N)" "$gap_s" "$2" >>"$run_dir/events.jsonl"; }
wait_for() { # FILE PATTERN SECONDS
  local waited=0
  until grep -q "$2" "$1" 2>/dev/null; do
    [ "$waited" -ge "$3" ] && return 1
    sleep 1; waited=$((waited + 1))
  done
}
rm -f "$run_dir"/{events.jsonl,vm.state,qmp-*.sock}
lab_log "snapshot-restore: first QEMU (initramfs guest, built-in virtio-rtc x2, vmclock)"
"$VMLAB_DIR/qemu.sh" "${qemu_args[@]}" -serial "file:$run_dir/console-1.log" -qmp "unix:$run_dir/qmp-1.sock,server=on,wait=off" \
  </dev/null >"$run_dir/qemu-1.out" 2>&1 &
q1=$!
wait_for "$run_dir/console-1.log" "@@PHASE running" 600 || { kill "$q1"; lab_die "the guest did not start (see console-1.log)"; }
lab_log "snapshot-restore: guest running; settling ${settle_s} s"
sleep "$settle_s"
sent=$(date +%s.%N)
qmp "$run_dir/qmp-1.sock" stop >>"$run_dir/qmp.log"
event stop "$sent"
qmp "$run_dir/qmp-1.sock" "migrate:{\"uri\":\"file:$run_dir/vm.state\"}" >>"$run_dir/qmp.log"
for _ in $(seq 120); do
  qmp "$run_dir/qmp-1.sock" query-migrate >"$run_dir/migrate-status.json" 2>&1 || true
  grep -q '"status": "\(completed\|failed\)"' "$run_dir/migrate-status.json" && break
  sleep 1
done
grep -q '"status": "completed"' "$run_dir/migrate-status.json" || { kill "$q1"; lab_die "migrate to file failed: $(cat "$run_dir/migrate-status.json")"; }
qmp "$run_dir/qmp-1.sock" quit >>"$run_dir/qmp.log" 2>&1 || true
wait "$q1" 2>/dev/null || true
lab_log "snapshot-restore: saved ($(stat -c %s "$run_dir/vm.state") bytes), first QEMU gone; restoring in $gap_s s"
sleep "$gap_s"
"$VMLAB_DIR/qemu.sh" "${qemu_args[@]}" -S -incoming "file:$run_dir/vm.state" -serial "file:$run_dir/console-2.log" \
  -qmp "unix:$run_dir/qmp-2.sock,server=on,wait=off" </dev/null >"$run_dir/qemu-2.out" 2>&1 &
q2=$!
for _ in $(seq 120); do
  qmp "$run_dir/qmp-2.sock" query-status >"$run_dir/status-2.json" 2>/dev/null && ! grep -q inmigrate "$run_dir/status-2.json" && break
  sleep 1
done
sent=$(date +%s.%N)
qmp "$run_dir/qmp-2.sock" cont >>"$run_dir/qmp.log"
event cont "$sent"
lab_log "snapshot-restore: restored and continued; waiting for the guest to finish"
wait_for "$run_dir/console-2.log" "@@EXIT" $((after_s + 120)) || lab_log "the guest did not finish in time"
kill "$q2" 2>/dev/null || true
wait "$q2" 2>/dev/null || true
cat "$run_dir/console-1.log" "$run_dir/console-2.log" >"$run_dir/console.log"
sed -n 's/^@@PROBE //p' "$run_dir/console.log" >"$run_dir/out/reference.jsonl"
sed -n 's/^@@LOG //p' "$run_dir/console.log" >"$run_dir/out/virtsyncd-sync.log"
rm -rf "$root"  # the initramfs tree (initramfs.gz stays)
if "$python" "$VMLAB_DIR/snapshotlab.py" "$run_dir" --json "$run_dir/snapshot.json" >/dev/null; then verdict=PASS; else verdict=FAIL; fi
lab_log "snapshot-restore: $verdict (checks in $run_dir/snapshot.json)"
[ "$verdict" = PASS ]
