#!/usr/bin/env bash
# Builds everything and boots the default guest to its shell.
# Extra arguments go to `vmon run` (e.g. --accel kvm, --cpus 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >&2
exec ./build/src/cli/vmon run --kernel guest/out/bzImage --initrd guest/out/initramfs.cpio.gz \
    --cmdline "console=ttyS0 quiet" "$@"
