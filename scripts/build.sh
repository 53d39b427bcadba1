#!/usr/bin/env bash
# Builds vmon (release, in build/) and the default guest (guest/out/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build
bash guest/build.sh
bash guest/fetch-debian-kernel.sh
