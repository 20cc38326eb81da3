# accuracy-virtsync (guest side): `virtsyncd sync` follows the served UTC clock (see guest/accuracy.sh).
#   args: DURATION_S (default 600) SYNC_OPTIONS (default none)
# shellcheck shell=sh
# (dash's . takes no arguments: set them first)
set -- virtsync "$@"
. "$VMLAB_DIR/guest/accuracy.sh"
