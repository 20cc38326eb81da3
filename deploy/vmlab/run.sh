#!/usr/bin/env bash
# Runs one VM lab scenario end to end and writes artifacts/vmlab/SCENARIO.json ("pass": true|false).
#
#   deploy/vmlab/run.sh SCENARIO [--verbose]
#
# A scenario is two files in deploy/vmlab/scenarios/:
#   SCENARIO.host.sh   sourced here; sets SCENARIO_SERVE (1: start `virtsyncd serve` on a Unix
#                      socket and attach vhost-user-rtc-pci), SCENARIO_SERVE_ARGS, SCENARIO_BUILTIN
#                      (how many of QEMU's own virtio-rtc-pci to attach), SCENARIO_GUEST_ARGS, SCENARIO_ENV
#                      (NAME=VALUE for the guest), SCENARIO_TIMEOUT (s), SCENARIO_NEEDS_GUEST_DAEMON
#                      (1: the guest runs virtsyncd), SCENARIO_VHOST_RECONNECT_MS (QEMU reconnects to a
#                      restarted back end), SCENARIO_QEMU_LISTENS (1: QEMU listens, serve connects
#                      with --connect and connects again when restarted), SCENARIO_SERVE_SUPERVISED (1: serve
#                      runs under tools/fdstore.py, systemd's fd store for the lab: restarted after
#                      SCENARIO_SERVE_RESTART_DELAY_S when it dies, with its connections' fds; the
#                      child's PID is in serve-child.pid), SCENARIO_QEMU_ARGS (extra QEMU arguments,
#                      e.g. the truth scenario's traced isa-parallel port), SCENARIO_INIT (the guest's PID 1
#                      instead of guest/init.sh, e.g. guest/init-systemd.sh), and may define scenario_during (runs on the
#                      host while the guest runs; see serve_start/serve_stop below).
#   SCENARIO.guest.sh  runs in the guest (POSIX sh), writes its result JSON to $VMLAB_RESULT.
#
# Environment: VIRTSYNCD (host binary for `serve`; default: the repository's Release build,
# built when missing or not built from HEAD), VIRTSYNCD_GUEST (command for the guest; default: a NativeAOT
# publish output when present and built from HEAD, else `dotnet .../virtsyncd.dll`; the command and the
# commit it was built from are logged and written to guest-daemon.txt), VIRTSYNC_LAB_ARTIFACTS (default
# REPO/artifacts/vmlab), and those of lib.sh (VIRTSYNC_LAB_CACHE, VIRTSYNC_LAB_KERNEL, ...).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
exec </dev/null

[ $# -ge 1 ] || lab_die "usage: run.sh SCENARIO [--verbose]   (scenarios: $(cd "$VMLAB_DIR/scenarios" && ls ./*.host.sh ./*.pair.sh | sed 's|./||; s|.host.sh||; s|.pair.sh||' | tr '\n' ' '))"
scenario=$1; shift
verbose=()
for arg in "$@"; do
  case $arg in
    --verbose) verbose=(--verbose) ;;
    *) lab_die "unknown argument: $arg" ;;
  esac
done
host_def=$VMLAB_DIR/scenarios/$scenario.host.sh
guest_script=$VMLAB_DIR/scenarios/$scenario.guest.sh
pair_def=$VMLAB_DIR/scenarios/$scenario.pair.sh
artifacts=${VIRTSYNC_LAB_ARTIFACTS:-$REPO_ROOT/artifacts/vmlab}
python=$(command -v python3 || echo /usr/bin/python3)

# A paired scenario (SCENARIO.pair.sh) runs two scenarios at the same time, each in its own guest with its own
# serve, so both see the same host load; SCENARIO.pair.sh sets PAIR_LEGS (two scenario names) and
# PAIR_ENV_<leg, - as _> (NAME=VALUE for that leg's run). The legs' reports land in $artifacts/SCENARIO/, the
# host's load average (every 10 s) in $artifacts/SCENARIO/loadavg.txt, and analyze.py --pair compares them.
if [ -f "$pair_def" ]; then
  PAIR_LEGS=()
  # shellcheck source=/dev/null
  . "$pair_def"
  [ ${#PAIR_LEGS[@]} -eq 2 ] || lab_die "$pair_def must set PAIR_LEGS to two scenarios"
  pair_dir=$artifacts/$scenario
  rm -rf "$pair_dir" "$artifacts/$scenario.json"
  mkdir -p "$pair_dir"
  lab_require_root
  "$VMLAB_DIR/setup.sh"
  (while :; do printf '%s %s\n' "$(date +%s)" "$(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done) >"$pair_dir/loadavg.txt" &
  load_pid=$!
  leg_pids=()
  for leg in "${PAIR_LEGS[@]}"; do
    declare -n leg_env="PAIR_ENV_${leg//-/_}"
    lab_log "pair $scenario: starting $leg (${leg_env[*]})"
    env "${leg_env[@]}" VIRTSYNC_LAB_ARTIFACTS="$pair_dir" "$0" "$leg" "${verbose[@]}" >"$pair_dir/$leg.out" 2>&1 &
    leg_pids+=($!)
    unset -n leg_env
  done
  leg_rc=()
  for pid in "${leg_pids[@]}"; do
    rc=0; wait "$pid" || rc=$?; leg_rc+=("$rc")
  done
  kill "$load_pid" 2>/dev/null || true
  wait "$load_pid" 2>/dev/null || true
  for i in 0 1; do lab_log "pair $scenario: ${PAIR_LEGS[$i]} exited ${leg_rc[$i]} (output: $pair_dir/${PAIR_LEGS[$i]}.out)"; done
  exec "$python" "$VMLAB_DIR/analyze.py" --pair "$scenario" "$pair_dir" "$artifacts/$scenario.json" "${PAIR_LEGS[@]}"
fi
[ -f "$host_def" ] && [ -f "$guest_script" ] || lab_die "unknown scenario $scenario"

run_dir=$artifacts/$scenario
report=$artifacts/$scenario.json
rm -rf "$run_dir" "$report"
mkdir -p "$run_dir"

lab_require_root
"$VMLAB_DIR/setup.sh"

SCENARIO_SERVE=0 SCENARIO_BUILTIN=0 SCENARIO_TIMEOUT=300 SCENARIO_NEEDS_GUEST_DAEMON=0 SCENARIO_VHOST_RECONNECT_MS="" SCENARIO_QEMU_LISTENS=0
SCENARIO_SERVE_SUPERVISED=0 SCENARIO_SERVE_RESTART_DELAY_S=0 SCENARIO_INIT=""
SCENARIO_SERVE_ARGS=() SCENARIO_GUEST_ARGS=() SCENARIO_ENV=() SCENARIO_QEMU_ARGS=()
scenario_during() { :; }
# shellcheck source=/dev/null
. "$host_def"

# Host-side checks for the report: one JSON object per line, collected into host-checks.json.
host_check() { # NAME OK(true|false) VALUE-JSON
  printf '{"name":"%s","ok":%s,"value":%s}\n' "$1" "$2" "${3:-null}" >>"$run_dir/host-checks.jsonl"
}

# The commit a virtsyncd build was made from (the SDK writes it into the daemon's informational version,
# <Version>+SHA; a NativeAOT binary also holds its libraries' versions): empty when the file has none.
daemon_version=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$REPO_ROOT/src/Daemon/Sync.Daemon.csproj" | head -1)
daemon_commit() { # FILE
  { grep -aoE "${daemon_version//./\\.}\+[0-9a-f]{40}" "$1" 2>/dev/null || true; } | head -1 | sed 's/.*+//'
}
head_commit=$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || true)
# A default build is current when it was made from HEAD and src/ has no uncommitted change. (A stale build left in
# the tree ran in the lead's truth run d2: the guest daemon was main of 11 days before, without the honest
# allowance or ClockBound, and the run was read as a failure of the code under test.)
default_build_current() { # FILE
  [ -n "$head_commit" ] && [ "$(daemon_commit "$1")" = "$head_commit" ] \
    && [ -z "$(git -C "$REPO_ROOT" status --porcelain -- src 2>/dev/null)" ]
}

build_daemon() {
  local out=$REPO_ROOT/src/Daemon/bin/Release/net10.0
  if [ ! -x "$out/virtsyncd" ] || ! default_build_current "$out/virtsyncd.dll"; then
    command -v dotnet >/dev/null || lab_die "no virtsyncd build and no dotnet to build it (set VIRTSYNCD)"
    lab_log "building virtsyncd (dotnet build src/Daemon -c Release): missing, or not built from HEAD ${head_commit:0:7}"
    (cd "$REPO_ROOT" && dotnet build src/Daemon -c Release -v q -nologo) >"$run_dir/daemon-build.log" 2>&1 \
      || { tail -20 "$run_dir/daemon-build.log" >&2; lab_die "building virtsyncd failed"; }
  fi
  printf '%s\n' "$out"
}

SERVE_SOCKET=$run_dir/vrtc.sock
# Starts `virtsyncd serve` on $SERVE_SOCKET (extra arguments appended); waits for the socket. With
# SCENARIO_QEMU_LISTENS=1 serve connects to QEMU's socket instead (and keeps trying until it is there).
serve_start() {
  local socket_args=(--socket "$SERVE_SOCKET")
  [ "$SCENARIO_QEMU_LISTENS" = 1 ] && socket_args=(--connect "$SERVE_SOCKET") || rm -f "$SERVE_SOCKET"
  # No Prometheus listener on the host: its fixed port may be taken by another lab run or a real daemon.
  local cmd=("$VIRTSYNCD_HOST" serve "${socket_args[@]}" --metrics:enabled=false "${SCENARIO_SERVE_ARGS[@]}" "$@")
  if [ "$SCENARIO_SERVE_SUPERVISED" = 1 ]; then
    cmd=("$python" "$VMLAB_DIR/tools/fdstore.py" --pidfile "$run_dir/serve-child.pid"
      --restart-delay "$SCENARIO_SERVE_RESTART_DELAY_S" -- "${cmd[@]}" "--serve:stateDirectory=$run_dir/serve-state")
  fi
  "${cmd[@]}" >>"$run_dir/serve.log" 2>&1 &
  echo $! >"$run_dir/serve.pid"
  local pid=$! waited=0
  if [ "$SCENARIO_QEMU_LISTENS" = 1 ]; then
    sleep 1
    kill -0 "$pid" 2>/dev/null || { tail -20 "$run_dir/serve.log" >&2; host_check "virtsyncd serve runs" false "\"exited at once\""; return 1; }
    lab_log "virtsyncd serve connecting to $SERVE_SOCKET (PID $pid)"
    return 0
  fi
  while [ ! -S "$SERVE_SOCKET" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$run_dir/serve.log" >&2
      lab_log "virtsyncd serve exited before listening"
      host_check "virtsyncd serve listens on its socket" false "\"exited before listening\""
      return 1
    fi
    if [ $waited -ge 300 ]; then
      lab_log "virtsyncd serve did not listen on $SERVE_SOCKET within 30 s"
      host_check "virtsyncd serve listens on its socket" false "\"not within 30 s\""
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  lab_log "virtsyncd serve listening on $SERVE_SOCKET (PID $pid)"
}
# Waits until the guest console shows "@@PHASE NAME" (printed by guest_phase); $2 = timeout s.
wait_guest_phase() {
  local waited=0
  until { tr -d '\r' <"$run_dir/console.log"; } 2>/dev/null | grep -q "^@@PHASE $1\$"; do
    [ $waited -ge $((${2:-300} * 5)) ] && return 1
    kill -0 "$boot_pid" 2>/dev/null || return 1
    sleep 0.2
    waited=$((waited + 1))
  done
}
# Stops the serve process this script started (by its PID only).
serve_stop() {
  local pid
  pid=$(cat "$run_dir/serve.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  rm -f "$run_dir/serve.pid"
}

boot_args=(--run-dir "$run_dir" --timeout "$SCENARIO_TIMEOUT" "${verbose[@]}")
[ -n "$SCENARIO_INIT" ] && boot_args+=(--init "$SCENARIO_INIT")
for ((j = 0; j < SCENARIO_BUILTIN; j++)); do boot_args+=(--builtin-rtc); done
[ -n "$SCENARIO_VHOST_RECONNECT_MS" ] && boot_args+=(--vhost-reconnect-ms "$SCENARIO_VHOST_RECONNECT_MS")
[ "$SCENARIO_QEMU_LISTENS" = 1 ] && boot_args+=(--vhost-qemu-listens)
for e in "${SCENARIO_ENV[@]}"; do boot_args+=(--env "$e"); done
for a in "${SCENARIO_QEMU_ARGS[@]}"; do boot_args+=(--qemu-arg "$a"); done

if [ "$SCENARIO_SERVE" = 1 ] || [ "$SCENARIO_NEEDS_GUEST_DAEMON" = 1 ]; then
  daemon_dir=""
  if [ -z "${VIRTSYNCD:-}" ] || { [ "$SCENARIO_NEEDS_GUEST_DAEMON" = 1 ] && [ -z "${VIRTSYNCD_GUEST:-}" ]; }; then
    daemon_dir=$(build_daemon)
  fi
  VIRTSYNCD_HOST=${VIRTSYNCD:-$daemon_dir/virtsyncd}
  host_file=$VIRTSYNCD_HOST; [ -f "$host_file.dll" ] && host_file=$host_file.dll
  lab_log "serve: $VIRTSYNCD_HOST (commit $(daemon_commit "$host_file" | grep . || echo unknown))"
  if [ "$SCENARIO_NEEDS_GUEST_DAEMON" = 1 ]; then
    guest_cmd=${VIRTSYNCD_GUEST:-}
    if [ -z "$guest_cmd" ]; then
      aot=$REPO_ROOT/src/Daemon/bin/Release/net10.0/linux-x64/publish/virtsyncd
      if [ -x "$aot" ] && ! [ -f "$(dirname "$aot")/virtsyncd.dll" ] && default_build_current "$aot"; then guest_cmd=$aot
      else
        [ -x "$aot" ] && lab_log "not using $aot: not built from HEAD ${head_commit:0:7} (publish again, or set VIRTSYNCD_GUEST)"
        guest_cmd="dotnet $daemon_dir/virtsyncd.dll"
      fi
    fi
    # Which build the guest runs, in the log and the artifacts: a figure is only worth the commit it measured.
    guest_file=${guest_cmd#dotnet }
    guest_commit=$(daemon_commit "$guest_file")
    lab_log "guest daemon: $guest_cmd (commit ${guest_commit:-unknown}; HEAD ${head_commit:-unknown})"
    printf 'command=%s\ncommit=%s\nhead=%s\n' "$guest_cmd" "${guest_commit:-unknown}" "${head_commit:-unknown}" >"$run_dir/guest-daemon.txt"
    boot_args+=(--env "VMLAB_VIRTSYNCD=$guest_cmd")
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet 2>/dev/null || echo /usr/share/dotnet/dotnet)")")
    boot_args+=(--env "DOTNET_ROOT=$dotnet_root" --env DOTNET_CLI_TELEMETRY_OPTOUT=1 --env DOTNET_NOLOGO=1)
  fi
fi

# A scenario that does not need the daemon may still be handed one (builtin-probe starts it once).
if [ "$SCENARIO_NEEDS_GUEST_DAEMON" != 1 ] && [ -n "${VIRTSYNCD_GUEST:-}" ]; then
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet 2>/dev/null || echo /usr/share/dotnet/dotnet)")")
  boot_args+=(--env "VMLAB_VIRTSYNCD=$VIRTSYNCD_GUEST" --env "DOTNET_ROOT=$dotnet_root" --env DOTNET_CLI_TELEMETRY_OPTOUT=1 --env DOTNET_NOLOGO=1)
fi

cleanup() {
  [ -n "${boot_pid:-}" ] && kill -TERM "$boot_pid" 2>/dev/null
  serve_stop
}
trap cleanup EXIT INT TERM

serving=ok
if [ "$SCENARIO_SERVE" = 1 ]; then
  if serve_start; then boot_args+=(--vhost-user "$SERVE_SOCKET"); else serving=failed; fi
fi

boot_rc=125
if [ "$serving" = ok ]; then
  lab_log "booting the guest for $scenario (timeout ${SCENARIO_TIMEOUT} s)"
  "$VMLAB_DIR/boot.sh" "${boot_args[@]}" "$guest_script" "${SCENARIO_GUEST_ARGS[@]}" >/dev/null &
  boot_pid=$!
  scenario_during
  boot_rc=0
  wait "$boot_pid" || boot_rc=$?
  boot_pid=""
fi
serve_stop
trap - EXIT INT TERM

if [ -f "$run_dir/host-checks.jsonl" ]; then
  "$python" -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' \
    "$run_dir/host-checks.jsonl" >"$run_dir/host-checks.json"
fi
"$python" "$VMLAB_DIR/analyze.py" "$scenario" "$run_dir" "$report" --boot-rc "$boot_rc"
