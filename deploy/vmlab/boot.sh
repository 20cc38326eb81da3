#!/usr/bin/env bash
# Boots the lab guest once: the host's / read-only over 9p as root, guest/init.sh as PID 1, which
# runs SCENARIO-SCRIPT (a guest-side sh script) and powers off. Waits at most --timeout seconds,
# then kills the QEMU it started (by PID, nothing else).
#
#   deploy/vmlab/boot.sh [options] [--] SCENARIO-SCRIPT [ARGS...]
#     --run-dir DIR       where console.log, qemu.stderr, result.json and out/ go
#                         (default: a new folder under $VIRTSYNC_LAB_CACHE/runs)
#     --vhost-user SOCK   a vhost-user-rtc-pci device on the back end listening on SOCK (repeatable)
#     --vhost-reconnect-ms MS  QEMU reconnects to a back end that went away (the back end must
#                         still listen when QEMU starts; QEMU 11.1's vhost-user-rtc-pci fails with it)
#     --vhost-qemu-listens  QEMU listens on every vhost-user SOCK (chardev server=on, waits for the
#                         back end at start) and the back end connects (`serve --connect SOCK`); a
#                         back end that connects again later takes over the running device
#     --builtin-rtc       QEMU's own virtio-rtc-pci (one UTC clock from the host's realtime clock);
#                         repeatable. PCI order: vhost-user devices first, then the built-in ones.
#     --env NAME=VALUE    exported to the scenario (repeatable)
#     --qemu-arg ARG      one more QEMU argument, appended last (repeatable)
#     --timeout SECONDS   whole boot, default 300
#     --kernel FILE       default: kernel.sh (VIRTSYNC_LAB_KERNEL, the prebuilt lab kernel, or a build)
#     --init FILE         default: guest/init.sh
#     --smp N --mem SIZE  default 2 and 1G
#     --append ARGS       extra kernel arguments
#     --verbose           copy the guest console to stderr as it comes
# Exit code: the scenario's exit code when the guest finished; 124 on timeout; 125 when no result
# came back. The result JSON (between @@RESULT-BEGIN/@@RESULT-END on the console) is written to
# RUN-DIR/result.json and the run folder is printed on stdout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

run_dir="" kernel="" init=$VMLAB_DIR/guest/init.sh timeout_s=300 smp=2 mem=1G append="" verbose=${VIRTSYNC_LAB_VERBOSE:-0}
builtin=0 reconnect_ms="" qemu_listens=0
vhost=()
envs=()
qemu_extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --run-dir) run_dir=$2; shift 2 ;;
    --vhost-user) vhost+=("$2"); shift 2 ;;
    --vhost-reconnect-ms) reconnect_ms=$2; shift 2 ;;
    --vhost-qemu-listens) qemu_listens=1; shift ;;
    --builtin-rtc) builtin=$((builtin + 1)); shift ;;
    --qemu-arg) qemu_extra+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --init) init=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --verbose) verbose=1; shift ;;
    --) shift; break ;;
    -*) lab_die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || lab_die "usage: boot.sh [options] SCENARIO-SCRIPT [ARGS...]"
scenario=$(realpath "$1"); shift
[ -r "$scenario" ] || lab_die "no scenario script $scenario"
lab_require_root
lab_sid_ready || lab_die "the sid root is not ready: run deploy/vmlab/setup.sh"
[ -n "$kernel" ] || kernel=$("$VMLAB_DIR/kernel.sh")
if [ -z "$run_dir" ]; then
  mkdir -p "$LAB_CACHE/runs"
  run_dir=$(mktemp -d "$LAB_CACHE/runs/$(date -u +%Y%m%dT%H%M%S)-XXXX")
fi
mkdir -p "$run_dir/out"
run_dir=$(realpath "$run_dir")
rm -f "$run_dir/result.json" "$run_dir/out/result.json" "$run_dir/console.log"

# The guest sees the host's / but has its own /tmp and /run: it runs a copy from the run folder.
cp "$scenario" "$run_dir/out/scenario.sh"
{
  printf 'VMLAB_SCENARIO=%q\n' /run/vmlab/scenario.sh
  printf 'VMLAB_SCENARIO_SOURCE=%q\n' "$scenario"
  printf 'VMLAB_ARGS=%q\n' "$(printf '%q ' "$@")"
  printf 'VMLAB_DIR=%q\nVMLAB_CACHE=%q\nVMLAB_REPO=%q\n' "$VMLAB_DIR" "$LAB_CACHE" "$REPO_ROOT"
  printf 'VMLAB_SID_ROOT=%q\nVMLAB_BIN=%q\n' "$SID_ROOT" "$LAB_CACHE/bin"
  # Boot (up to ~30 s under load) and power-off come on top of the scenario's own time.
  printf 'VMLAB_GUEST_TIMEOUT=%q\n' "$((timeout_s > 90 ? timeout_s - 60 : timeout_s / 2))"
  for e in "${envs[@]}"; do
    printf '%s=%q\n' "${e%%=*}" "${e#*=}"
  done
  echo "export VMLAB_SCENARIO VMLAB_SCENARIO_SOURCE VMLAB_DIR VMLAB_CACHE VMLAB_REPO VMLAB_SID_ROOT VMLAB_BIN VMLAB_GUEST_TIMEOUT"
  for e in "${envs[@]}"; do echo "export ${e%%=*}"; done
} >"$run_dir/out/guest.env"

accel=$("$VMLAB_DIR/qemu.sh" --accel)
args=(
  -accel "$accel" -smp "$smp" -m "$mem" -M q35 -nodefaults -display none -serial stdio -no-reboot
  -nic none
  -object "memory-backend-memfd,id=mem,size=$mem,share=on" -machine memory-backend=mem
  -fsdev local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap
  -device virtio-9p-pci,fsdev=rootfs,mount_tag=/dev/root
  -fsdev "local,id=out,path=$run_dir/out,security_model=none"
  -device virtio-9p-pci,fsdev=out,mount_tag=vmlab_out
  -fsdev "local,id=repo,path=$REPO_ROOT,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=repo,mount_tag=vmlab_repo
  -kernel "$kernel"
  -append "console=ttyS0 root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro init=$init panic=-1 loglevel=4 no_timer_check $append"
)
i=0
for sock in "${vhost[@]}"; do
  if [ "$qemu_listens" = 1 ]; then
    args+=(-chardev "socket,id=vrtc$i,path=$sock,server=on,wait=on" -device "vhost-user-rtc-pci,chardev=vrtc$i")
  else
    [ -S "$sock" ] || lab_die "no vhost-user back end listening on $sock"
    args+=(-chardev "socket,id=vrtc$i,path=$sock${reconnect_ms:+,reconnect-ms=$reconnect_ms}" -device "vhost-user-rtc-pci,chardev=vrtc$i")
  fi
  i=$((i + 1))
done
for ((j = 0; j < builtin; j++)); do args+=(-device virtio-rtc-pci); done
args+=("${qemu_extra[@]}")
printf '%q ' "$VMLAB_DIR/qemu.sh" "${args[@]}" >"$run_dir/qemu.cmdline"

started_ns=$(date +%s%N)
"$VMLAB_DIR/qemu.sh" "${args[@]}" </dev/null >"$run_dir/console.log" 2>"$run_dir/qemu.stderr" &
qemu_pid=$!
echo "$qemu_pid" >"$run_dir/qemu.pid"
tail_pid=""
if [ "$verbose" = 1 ]; then
  tail -n +1 -F --pid="$qemu_pid" "$run_dir/console.log" 2>/dev/null | sed -u 's/\r$//; s/^/guest| /' >&2 &
  tail_pid=$!
fi
# Kill only our QEMU, also when this script is interrupted.
trap 'kill -KILL "$qemu_pid" 2>/dev/null || true' EXIT INT TERM

timed_out=0
deadline=$((SECONDS + timeout_s))
while kill -0 "$qemu_pid" 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    timed_out=1
    lab_log "guest still running after ${timeout_s} s: killing QEMU (PID $qemu_pid)"
    kill -TERM "$qemu_pid" 2>/dev/null || true
    sleep 2
    kill -KILL "$qemu_pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
wait "$qemu_pid" 2>/dev/null || true
trap - EXIT INT TERM
[ -n "$tail_pid" ] && { sleep 0.3; kill "$tail_pid" 2>/dev/null || true; }
ended_ns=$(date +%s%N)

tr -d '\r' <"$run_dir/console.log" | awk '
  /^@@RESULT-BEGIN/ { inside = 1; next }
  /^@@RESULT-END/ { inside = 0; next }
  inside { print }' >"$run_dir/result.json"
init_at=$(tr -d '\r' <"$run_dir/console.log" | sed -n 's/^@@INIT //p' | head -1)
exit_code=$(tr -d '\r' <"$run_dir/console.log" | sed -n 's/^@@EXIT //p' | tail -1)
printf '{"wall_s":%s,"guest_uptime_at_init_s":%s,"accel":"%s","timed_out":%s,"exit_code":%s}\n' \
  "$(awk -v a="$started_ns" -v b="$ended_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" \
  "${init_at:-null}" "$accel" "$([ $timed_out = 1 ] && echo true || echo false)" "${exit_code:-null}" >"$run_dir/boot.json"
echo "$run_dir"
if [ ! -s "$run_dir/result.json" ]; then
  rm -f "$run_dir/result.json"
  lab_log "no result from the guest; last console lines:"
  tr -d '\r' <"$run_dir/console.log" | tail -25 | sed 's/^/guest| /' >&2
  [ -s "$run_dir/qemu.stderr" ] && sed 's/^/qemu| /' "$run_dir/qemu.stderr" | tail -10 >&2
  [ $timed_out = 1 ] && exit 124
  exit 125
fi
[ $timed_out = 1 ] && exit 124
exit "${exit_code:-125}"
