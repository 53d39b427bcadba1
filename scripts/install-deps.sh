#!/usr/bin/env bash
# Installs every Debian 12 package vmon's build, tests, benches and default guest need.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config clang lld
  libcapstone-dev libcmocka-dev liburing-dev libslirp-dev libglib2.0-dev
  zlib1g-dev liblzma-dev liblz4-dev libzstd-dev
  # tests
  python3 python3-pytest
  # virtio-net tests (ip netns, ip tuntap)
  iproute2
  # default guest: kernel from linux-source-6.12, busybox initramfs
  linux-source-6.12 busybox-static bc flex bison libelf-dev libssl-dev cpio xz-utils kmod dwarves lz4
  # disk images and firmware
  e2fsprogs mtools syslinux syslinux-common dosfstools seabios memtest86+ acpica-tools
  # benchmarks: the reference software CPU
  qemu-system-x86
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
