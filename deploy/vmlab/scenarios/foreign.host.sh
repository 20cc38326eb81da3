# foreign (host side): a second time daemon on the guest's clock. `virtsyncd sync` steers the guest's clock from the
# served UTC clock (vhost-user, serve); VMLAB_FOREIGN_BEFORE_S after its first estimate (READY) the guest starts chronyd 4.9 beside it, steering
# from QEMU's built-in virtio-rtc device (`refclock PHC ... poll 0 dpoll -2`, `makestep 1 3`), stops it
# VMLAB_FOREIGN_CHRONY_S later and runs VMLAB_FOREIGN_AFTER_S more. The guest records the kernel's clock state
# (guestclock show, modes 0, every 0.5 s) and probes the built-in device (the reference). deploy/vmlab/foreign.py:
# virtsync detects chronyd within 10 s of its start, writes nothing while yielding (the kernel state does not move
# after chronyd is gone until virtsync resumes), resumes only after chronyd is gone (discipline:foreignWriterQuietSeconds
# of quiet), steers again and is back within 50 us of the reference by the end.
#   env: VMLAB_FOREIGN_BEFORE_S (60), VMLAB_FOREIGN_CHRONY_S (60), VMLAB_FOREIGN_AFTER_S (75),
#        VMLAB_SYNC_OPTIONS (more `virtsyncd sync` arguments, e.g. --discipline:foreignWriterQuietSeconds=20).
# shellcheck shell=bash
SCENARIO_SERVE=1
SCENARIO_BUILTIN=1
SCENARIO_NEEDS_GUEST_DAEMON=1
foreign_before_s=${VMLAB_FOREIGN_BEFORE_S:-60}
foreign_chrony_s=${VMLAB_FOREIGN_CHRONY_S:-60}
foreign_after_s=${VMLAB_FOREIGN_AFTER_S:-75}
SCENARIO_GUEST_ARGS=("$foreign_before_s" "$foreign_chrony_s" "$foreign_after_s" "${VMLAB_SYNC_OPTIONS:-}")
SCENARIO_TIMEOUT=$((foreign_before_s + foreign_chrony_s + foreign_after_s + 600))
