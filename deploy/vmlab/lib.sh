# shellcheck shell=bash
# Common settings and helpers for the VM lab scripts. Source it; do not run it.
#
# Environment:
#   VIRTSYNC_LAB_CACHE   cache folder (default /var/cache/virtsync-vmlab), reused across runs
#   VIRTSYNC_LAB_KERNEL  prebuilt guest kernel (absolute, or relative to the repository root)
#   VIRTSYNC_LAB_ACCEL   tcg (default), kvm, or auto (probe KVM, fall back to TCG)
#   VIRTSYNC_LAB_MIRROR  Debian mirror (default http://deb.debian.org/debian)

VMLAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$VMLAB_DIR/../.." && pwd)
LAB_CACHE=${VIRTSYNC_LAB_CACHE:-/var/cache/virtsync-vmlab}
LAB_MIRROR=${VIRTSYNC_LAB_MIRROR:-http://deb.debian.org/debian}
SID_ROOT=$LAB_CACHE/sid
# Bump when the recipe of the sid root changes: a new stamp makes setup.sh complete the root again.
SID_RECIPE=3
SID_PACKAGES=(qemu-system-x86 chrony linuxptp busybox-static)
SID_STAMP=$LAB_CACHE/sid.stamp

lab_log() { printf '[vmlab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
lab_die() { lab_log "error: $*"; exit 1; }

# Resolves a path given relative to the repository root (CI passes ../shared/vmlab/...). In a git
# worktree elsewhere, a path not found there is also tried relative to the main checkout.
lab_repo_path() {
  local main
  case $1 in
    /*) printf '%s\n' "$1"; return ;;
  esac
  if [ ! -e "$REPO_ROOT/$1" ] && main=$(git -C "$REPO_ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) \
    && [ -e "$(dirname "$main")/$1" ]; then
    printf '%s\n' "$(dirname "$main")/$1"
    return
  fi
  printf '%s\n' "$REPO_ROOT/$1"
}

lab_require_root() {
  [ "$(id -u)" -eq 0 ] || lab_die "the VM lab needs root (debootstrap, unshare -m, bind mounts)"
}

lab_sid_ready() {
  [ -f "$SID_STAMP" ] && [ "$(cat "$SID_STAMP")" = "recipe $SID_RECIPE" ]
}

# Runs a program of the sid root on the host: sid's dynamic loader with sid's libraries.
lab_sid_exec() {
  local prog=$1; shift
  exec "$SID_ROOT/usr/lib64/ld-linux-x86-64.so.2" \
    --library-path "$SID_ROOT/usr/lib/x86_64-linux-gnu:$SID_ROOT/lib/x86_64-linux-gnu" \
    "$SID_ROOT$prog" "$@"
}
