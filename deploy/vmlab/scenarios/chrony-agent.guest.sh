# chrony-agent (guest side): chronyd follows `virtsyncd sync`'s samples over SOCK (see guest/accuracy.sh).
#   args: DURATION_S (default 600) REFCLOCK_OPTIONS (chronyd's SOCK refclock options)
# shellcheck shell=sh
# (dash's . takes no arguments: set them first)
set -- chrony-agent "$@"
. "$VMLAB_DIR/guest/accuracy.sh"
