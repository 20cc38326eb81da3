#!/usr/bin/env bash
# Prepares the VM lab cache: a Debian sid root with QEMU 11 (virtio-rtc), chrony, linuxptp and busybox,
# and the lab's small C tools. Idempotent: a finished cache is checked in well under a second.
# Unattended (no TTY, no stdin), as root. Never touches the machine's own apt sources.
#
#   deploy/vmlab/setup.sh            prepare (or check) the cache
#   deploy/vmlab/setup.sh --kernel   also make sure a guest kernel exists (builds one unless
#                                    VIRTSYNC_LAB_KERNEL names a prebuilt one)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
exec </dev/null
export DEBIAN_FRONTEND=noninteractive

want_kernel=0
for arg in "$@"; do
  case $arg in
    --kernel) want_kernel=1 ;;
    *) lab_die "unknown argument: $arg" ;;
  esac
done

lab_require_root
mkdir -p "$LAB_CACHE"
exec 9>"$LAB_CACHE/.setup.lock"
flock 9

apt_host_install() {
  if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# apt-get on the host against sid, with a private sources list, lists and cache.
sid_apt() {
  local d=$LAB_CACHE/apt
  apt-get -q -o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false \
    -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
    -o Dir::Cache::Archives="$d/archives" "$@"
}

fetch_sid_keyring() {
  local d=$LAB_CACHE/apt keyring=$LAB_CACHE/keyring/usr/share/keyrings/debian-archive-keyring.gpg
  if [ -s "$keyring" ]; then printf '%s\n' "$keyring"; return; fi
  lab_log "fetching sid's debian-archive-keyring"
  mkdir -p "$d/lists/partial" "$d/cache" "$d/archives/partial" "$d/download"
  # The host's keyring (bookworm's, with trixie's keys) verifies sid's Release file.
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $LAB_MIRROR sid main" >"$d/sources.list"
  sid_apt update >"$d/update.log" 2>&1 || { cat "$d/update.log" >&2; lab_die "apt-get update for sid failed"; }
  rm -f "$d/download"/*.deb
  (cd "$d/download" && sid_apt download debian-archive-keyring >/dev/null)
  rm -rf "$LAB_CACHE/keyring"
  dpkg-deb -x "$d"/download/debian-archive-keyring_*.deb "$LAB_CACHE/keyring"
  [ -s "$keyring" ] || lab_die "no keyring in sid's debian-archive-keyring"
  printf '%s\n' "$keyring"
}

make_sid_root() {
  local keyring=$1 started=$SECONDS
  if [ ! -f "$LAB_CACHE/sid.debootstrap.done" ]; then
    command -v debootstrap >/dev/null || { lab_log "installing debootstrap on the host"; apt_host_install debootstrap; }
    rm -rf "$SID_ROOT"
    lab_log "debootstrap --variant=minbase sid (about 1.5 minutes)"
    debootstrap --variant=minbase --keyring="$keyring" sid "$SID_ROOT" "$LAB_MIRROR" \
      >"$LAB_CACHE/debootstrap.log" 2>&1 || { tail -30 "$LAB_CACHE/debootstrap.log" >&2; lab_die "debootstrap failed (log: $LAB_CACHE/debootstrap.log)"; }
    touch "$LAB_CACHE/sid.debootstrap.done"
    lab_log "debootstrap done in $((SECONDS - started)) s"
  fi
  started=$SECONDS
  lab_log "installing ${SID_PACKAGES[*]} in the sid root"
  # No service may start inside the root; the mounts live only in this private mount namespace.
  printf '#!/bin/sh\nexit 101\n' >"$SID_ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$SID_ROOT/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$SID_ROOT/etc/resolv.conf" 2>/dev/null || true
  echo "deb $LAB_MIRROR sid main" >"$SID_ROOT/etc/apt/sources.list"
  unshare -m --propagation private -- /bin/sh -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    # The mirror seen here serves a sid whose Release file is past its Valid-Until date.
    chroot "$root" apt-get update -qq -o Acquire::Check-Valid-Until=false
    chroot "$root" apt-get install -y -qq --no-install-recommends "$@"
    chroot "$root" apt-get clean
  ' sh "$SID_ROOT" "${SID_PACKAGES[@]}" >"$LAB_CACHE/sid-install.log" 2>&1 \
    || { tail -30 "$LAB_CACHE/sid-install.log" >&2; lab_die "package install in the sid root failed (log: $LAB_CACHE/sid-install.log)"; }
  lab_log "packages installed in $((SECONDS - started)) s"
  [ -x "$SID_ROOT/usr/bin/qemu-system-x86_64" ] || lab_die "no qemu-system-x86_64 in the sid root"
  echo "recipe $SID_RECIPE" >"$SID_STAMP"
}

build_tools() {
  mkdir -p "$LAB_CACHE/bin"
  local src out hash
  shopt -s nullglob
  for src in "$VMLAB_DIR"/tools/*.c; do
    out=$LAB_CACHE/bin/$(basename "$src" .c)
    hash=$(sha256sum "$src" | cut -c1-16)
    if [ -x "$out" ] && [ "$(cat "$out.src" 2>/dev/null)" = "$hash" ]; then continue; fi
    command -v gcc >/dev/null || apt_host_install gcc libc6-dev
    lab_log "building $(basename "$out")"
    gcc -O2 -Wall -Wextra -static -o "$out.tmp" "$src" -lm
    mv "$out.tmp" "$out"
    echo "$hash" >"$out.src"
  done
}

started=$SECONDS
if ! lab_sid_ready; then
  make_sid_root "$(fetch_sid_keyring)"
fi
build_tools
if [ "$want_kernel" = 1 ]; then
  "$VMLAB_DIR/kernel.sh" >/dev/null
fi
lab_log "setup ready in $((SECONDS - started)) s (cache $LAB_CACHE)"
