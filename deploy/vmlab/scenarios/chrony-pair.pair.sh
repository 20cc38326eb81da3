# chrony-pair: chronyd fed by `virtsyncd sync` over SOCK (chrony-agent) and chronyd reading the same kind of served
# device itself (accuracy-chrony, `refclock PHC ... poll 2 dpoll -4`), in two guests at the same time, so both
# see the same host load (issue 15's comparison; docs/vmlab.md). Each guest has its own serve and reference.
#   env: VMLAB_DURATION_S (both legs), VMLAB_FED_REFCLOCK (the SOCK refclock options, default chrony-agent's),
#        VMLAB_PHC_REFCLOCK (default "poll 2 dpoll -4"), VMLAB_SYNC_OPTIONS (the agent's), and the guests'
#        VMLAB_* settings (guest/accuracy.sh).
# shellcheck shell=bash disable=SC2034
PAIR_LEGS=(chrony-agent accuracy-chrony)
PAIR_ENV_chrony_agent=("VMLAB_REFCLOCK=${VMLAB_FED_REFCLOCK:-refid VIRT poll 2 precision 1e-7 delay 1e-4}")
PAIR_ENV_accuracy_chrony=("VMLAB_REFCLOCK=${VMLAB_PHC_REFCLOCK:-poll 2 dpoll -4}")
