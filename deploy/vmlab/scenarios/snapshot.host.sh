# snapshot (host side): can the lab save and restore a running guest, with QEMU's vmclock device present, so that the
# guest's vmclock disruption marker changes (QEMU bumps it in vmclock_post_load, on -incoming and loadvm)? virtsyncd
# sync follows our served UTC clock (vhost-user) with the vmclock watcher on (`watching vmclock's disruption marker`);
# after VMLAB_SETTLE_S the host asks QMP for the migration blockers (query-migrate), stops the VM, tries `migrate` to
# file:RUN/vm.state and continues the VM. The result names what blocks it (expected in this lab: the 9p root, which
# QEMU will not migrate once the guest has mounted it, and the vhost-user-rtc device); the restore (a new QEMU with
# -incoming file:..., then the marker, the daemon's reaction and recovery) runs only where the migration succeeded.
#   env: VMLAB_SETTLE_S (45), VMLAB_AFTER_S (30).
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
snapshot_settle_s=${VMLAB_SETTLE_S:-45}
snapshot_after_s=${VMLAB_AFTER_S:-30}
SCENARIO_GUEST_ARGS=("$((snapshot_settle_s + snapshot_after_s))")
SCENARIO_TIMEOUT=$((snapshot_settle_s + snapshot_after_s + 300))
SCENARIO_QEMU_ARGS=(-qmp "unix:$run_dir/qmp.sock,server=on,wait=off" -device vmclock)
scenario_during() {
  wait_guest_phase running 900 || return 0
  sleep "$snapshot_settle_s"
  local qmp=("$python" "$VMLAB_DIR/tools/qmp.py" "$run_dir/qmp.sock")
  "${qmp[@]}" query-migrate >"$run_dir/migrate-query-before.json" 2>&1
  "${qmp[@]}" stop >>"$run_dir/qmp.log" 2>&1
  if "${qmp[@]}" "migrate:{\"uri\":\"file:$run_dir/vm.state\"}" >"$run_dir/migrate.json" 2>&1; then
    sleep 5
    "${qmp[@]}" query-migrate >"$run_dir/migrate-query-after.json" 2>&1
    host_check "snapshot: QMP migrate to file accepted" true "\"$(tail -1 "$run_dir/migrate.json" | tr -d '"\\' | cut -c1-200)\""
  else
    host_check "snapshot: QMP migrate to file accepted" false "\"$(tail -1 "$run_dir/migrate.json" | tr -d '"\\' | cut -c1-300)\""
  fi
  "${qmp[@]}" cont >>"$run_dir/qmp.log" 2>&1
}
