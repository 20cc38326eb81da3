# qemu-builtin (guest side): `virtsyncd sync` follows QEMU's own virtio-rtc-pci (the first built-in
# device); the reference probe reads a second built-in device. Shows we work with other devices.
#   args: DURATION_S (default 180) SYNC_OPTIONS (default none)
# shellcheck shell=sh
# (dash's . takes no arguments: set them first)
set -- virtsync "${1:-180}" "${2:-}"
. "$VMLAB_DIR/guest/accuracy.sh"
