#!/usr/bin/env bash
# Runs every test of the solution: unit, end-to-end, and (as root, where QEMU can run) the VM lab's smoke
# scenario — QEMU 11's vhost-user-rtc-pci, the guest kernel's virtio_rtc driver, `virtsyncd serve` on the
# host and `virtsyncd sync` in the guest. VIRTSYNC_LAB=0 leaves the lab out.
set -uo pipefail
cd "$(dirname "$0")"
if [ -z "${VIRTSYNC_LAB:-}" ] && [ "$(id -u)" -eq 0 ]; then
  export VIRTSYNC_LAB=1
fi
dotnet test Sync.sln -c Release "$@"
