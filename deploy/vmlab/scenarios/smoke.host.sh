# smoke (host side): `virtsyncd serve` on a Unix socket, the guest with vhost-user-rtc-pci on it
# and QEMU's built-in device beside it; the guest runs `virtsyncd clocks` and `virtsyncd sync`.
# Assumed CLI (align with the real one when serve/sync land): `virtsyncd serve --socket PATH`
# serving UTC, TAI, MONOTONIC and UTC_SMEARED; `virtsyncd clocks`; `virtsyncd sync` printing READY.
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=0
SCENARIO_NEEDS_GUEST_DAEMON=1
SCENARIO_GUEST_ARGS=("${VMLAB_SYNC_DEADLINE_S:-60}")
SCENARIO_TIMEOUT=${VMLAB_SMOKE_TIMEOUT:-240}
