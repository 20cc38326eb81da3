#!/usr/bin/env bash
# Prints the path of the guest kernel to boot, building it first when needed.
#
#   1. VIRTSYNC_LAB_KERNEL, when set (absolute, or relative to the repository root;
#      CI passes ../shared/vmlab/bzImage-7.2.13-virtsync-lab).
#   2. Otherwise the prebuilt lab kernel beside the repository (../shared/vmlab/), unless
#      VIRTSYNC_LAB_BUILD_KERNEL=1 or --build is given.
#   3. Otherwise a kernel built from Debian sid's linux-source-7.2 with deploy/vmlab/guest-fragment.config
#      (make defconfig && make kvm_guest.config, merge_config.sh -m, make olddefconfig, make bzImage),
#      cached in $VIRTSYNC_LAB_CACHE/kernel/HASH/ where HASH covers the fragment, the source package
#      version and this recipe. The build runs inside the sid root (its compiler and tools) and takes
#      about 24 minutes on 2 cores.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
exec </dev/null

KERNEL_RECIPE=1
KERNEL_SOURCE_PACKAGE=linux-source-7.2
KERNEL_BUILD_PACKAGES=(build-essential flex bison libelf-dev libssl-dev bc cpio kmod xz-utils "$KERNEL_SOURCE_PACKAGE")
PREBUILT=$(lab_repo_path ../shared/vmlab/bzImage-7.2.13-virtsync-lab)

build=${VIRTSYNC_LAB_BUILD_KERNEL:-0} config_only=0
case ${1:-} in
  --build) build=1 ;;
  # Checks the build recipe up to the final .config (no compile, ~2 minutes); prints its path.
  --config-only) build=1 config_only=1 ;;
esac

if [ -n "${VIRTSYNC_LAB_KERNEL:-}" ] && [ "$config_only" = 0 ]; then
  kernel=$(lab_repo_path "$VIRTSYNC_LAB_KERNEL")
  [ -r "$kernel" ] || lab_die "VIRTSYNC_LAB_KERNEL=$VIRTSYNC_LAB_KERNEL: no such file ($kernel)"
  realpath "$kernel"
  exit 0
fi
if [ "$build" != 1 ] && [ -r "$PREBUILT" ]; then
  printf '%s\n' "$(cd "$(dirname "$PREBUILT")" && pwd)/$(basename "$PREBUILT")"
  exit 0
fi

lab_require_root
lab_sid_ready || "$VMLAB_DIR/setup.sh"
exec 9>"$LAB_CACHE/.kernel.lock"
flock 9

in_sid() {
  unshare -m --propagation private -- /bin/sh -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
  ' sh "$SID_ROOT" "$@"
}

if [ ! -f "$LAB_CACHE/kernel-tools.stamp" ] || [ "$(cat "$LAB_CACHE/kernel-tools.stamp")" != "recipe $KERNEL_RECIPE" ]; then
  lab_log "installing the kernel build tools and $KERNEL_SOURCE_PACKAGE in the sid root"
  in_sid sh -c 'apt-get update -qq -o Acquire::Check-Valid-Until=false &&
    apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' sh "${KERNEL_BUILD_PACKAGES[@]}" \
    >"$LAB_CACHE/kernel-tools.log" 2>&1 || { tail -20 "$LAB_CACHE/kernel-tools.log" >&2; lab_die "installing kernel build tools failed"; }
  echo "recipe $KERNEL_RECIPE" >"$LAB_CACHE/kernel-tools.stamp"
fi

fragment=$VMLAB_DIR/guest-fragment.config
source_version=$(in_sid dpkg-query -W -f '${Version}' "$KERNEL_SOURCE_PACKAGE")
hash=$( { cat "$fragment"; echo "$KERNEL_SOURCE_PACKAGE $source_version recipe $KERNEL_RECIPE"; } | sha256sum | cut -c1-16)
out=$LAB_CACHE/kernel/$hash
if [ -s "$out/bzImage" ] && [ "$config_only" = 0 ]; then
  printf '%s\n' "$out/bzImage"
  exit 0
fi

if [ "$config_only" = 1 ]; then lab_log "checking the guest kernel config ($KERNEL_SOURCE_PACKAGE $source_version)"; else lab_log "building the guest kernel ($KERNEL_SOURCE_PACKAGE $source_version, about 24 minutes on 2 cores)"; fi
started=$SECONDS
build_dir=/var/tmp/vmlab-kernel-$hash
rm -rf "$SID_ROOT$build_dir"
mkdir -p "$SID_ROOT$build_dir" "$out"
cp "$fragment" "$SID_ROOT$build_dir/fragment.config"
in_sid sh -euc '
  cd "$1"
  tar -xaf /usr/src/linux-source-7.2.tar.* --strip-components=1
  make -s defconfig
  make -s kvm_guest.config
  scripts/kconfig/merge_config.sh -m .config fragment.config
  make -s olddefconfig
  [ "$3" = 1 ] || make -s -j"$2" bzImage
' sh "$build_dir" "$(nproc)" "$config_only" >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; lab_die "kernel build failed (log: $out/build.log)"; }
for option in CONFIG_VIRTIO_RTC CONFIG_VIRTIO_RTC_PTP CONFIG_VIRTIO_RTC_CLASS CONFIG_PTP_1588_CLOCK CONFIG_9P_FS CONFIG_NET_9P_VIRTIO CONFIG_SERIAL_8250_CONSOLE; do
  grep -q "^$option=y" "$SID_ROOT$build_dir/.config" || lab_die "the kernel config lacks $option=y"
done
if [ "$config_only" = 1 ]; then
  cp "$SID_ROOT$build_dir/.config" "$out/config"
  rm -rf "${SID_ROOT:?}$build_dir"
  lab_log "kernel config checked: $out/config"
  printf '%s\n' "$out/config"
  exit 0
fi
cp "$SID_ROOT$build_dir/.config" "$out/config"
cp "$SID_ROOT$build_dir/arch/x86/boot/bzImage" "$out/bzImage.tmp"
mv "$out/bzImage.tmp" "$out/bzImage"
rm -rf "${SID_ROOT:?}$build_dir"
lab_log "guest kernel built in $((SECONDS - started)) s: $out/bzImage"
printf '%s\n' "$out/bzImage"
