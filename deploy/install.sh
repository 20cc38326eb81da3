#!/usr/bin/env bash
# Installs virtsyncd: binary, systemd units, udev rules, example configuration.
#   deploy/install.sh [--binary PATH] [--destdir DIR] [--prefix /usr/local] [--enable sync|chrony|serve] [--no-reload]
# Without --binary it publishes the NativeAOT binary first (needs the .NET SDK and clang).
# --destdir stages everything under DIR (for packages) and implies --no-reload.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
binary="" destdir="" prefix="/usr/local" enable="" reload=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --destdir) destdir="$2"; reload=0; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --enable) enable="$2"; shift 2 ;;
    --no-reload) reload=0; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done

if [[ -z "$binary" ]]; then
  out="$repo/artifacts/publish"
  dotnet publish "$repo/src/Daemon" -c Release -r linux-x64 -p:PublishAot=true -o "$out"
  binary="$out/virtsyncd"
fi
[[ -x "$binary" ]] || { echo "install.sh: $binary is not an executable" >&2; exit 1; }

bindir="$destdir$prefix/bin"
unitdir="$destdir/etc/systemd/system"
udevdir="$destdir/etc/udev/rules.d"
confdir="$destdir/etc/virtsync"
install -d "$bindir" "$unitdir" "$udevdir" "$confdir"
install -m 0755 "$binary" "$bindir/virtsyncd"
for unit in virtsyncd.service virtsyncd-chrony.service virtsyncd-serve.service; do
  sed "s#/usr/local/bin/virtsyncd#$prefix/bin/virtsyncd#" "$here/systemd/$unit" > "$unitdir/$unit"
  chmod 0644 "$unitdir/$unit"
done
# FileDescriptorStorePreserve= needs systemd >= 254 (Debian 12 has 252): a drop-in only where it is understood.
systemd_version=$(systemctl --version 2>/dev/null | awk 'NR==1 {print $2}')
if [[ "${systemd_version:-0}" =~ ^[0-9]+$ ]] && (( systemd_version >= 254 )); then
  install -d "$unitdir/virtsyncd-serve.service.d"
  install -m 0644 "$here/systemd/virtsyncd-serve.service.d/fdstore-preserve.conf" "$unitdir/virtsyncd-serve.service.d/fdstore-preserve.conf"
else
  echo "install.sh: systemd ${systemd_version:-unknown} < 254: serve's fd store lasts over restarts and crashes, not over a stop (no FileDescriptorStorePreserve=)"
fi
install -m 0644 "$here/udev/70-virtsync-ptp.rules" "$udevdir/70-virtsync-ptp.rules"
if [[ ! -e "$confdir/virtsync.json" ]]; then
  install -m 0644 "$here/virtsync.json" "$confdir/virtsync.json"
else
  install -m 0644 "$here/virtsync.json" "$confdir/virtsync.json.example"
  echo "install.sh: kept existing $confdir/virtsync.json (new example: virtsync.json.example)"
fi

if [[ "$reload" == 1 ]]; then
  udevadm control --reload-rules && udevadm trigger --subsystem-match=ptp || echo "install.sh: udev reload failed (no udev?)" >&2
  systemctl daemon-reload || echo "install.sh: systemctl daemon-reload failed (no systemd?)" >&2
  case "$enable" in
    sync) systemctl enable --now virtsyncd.service ;;
    chrony) systemctl enable --now virtsyncd-chrony.service ;;
    serve) systemctl enable --now virtsyncd-serve.service ;;
    "") ;;
    *) echo "install.sh: --enable takes sync, chrony or serve" >&2; exit 64 ;;
  esac
fi
echo "installed virtsyncd to $bindir/virtsyncd"
