# accuracy-chrony (guest side): chrony 4.9 follows the served UTC clock (see guest/accuracy.sh).
#   args: DURATION_S (default 600) REFCLOCK_OPTIONS (default "poll 0 dpoll -2")
# shellcheck shell=sh
# (dash's . takes no arguments: set them first)
set -- chrony "$@"
. "$VMLAB_DIR/guest/accuracy.sh"
