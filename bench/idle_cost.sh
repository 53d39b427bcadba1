#!/usr/bin/env bash
# Measures the host CPU an idle guest costs: boots the default guest to its
# interactive shell under the given accelerator, lets it idle, and reports
# the CPU time vmon used over the idle interval.
#   bench/idle_cost.sh [emu|kvm] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
accel=${1:-emu}
secs=${2:-20}
vmon=./build/src/cli/vmon
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
# stdin stays open (sleep) so the guest shell waits for input forever
sleep $((secs + 120)) | "$vmon" run --kernel guest/out/bzImage --initrd guest/out/initramfs.cpio.gz \
    --accel "$accel" --cmdline "console=ttyS0 quiet" >"$log" 2>&1 &
pid=$!
for _ in $(seq 120); do grep -q "vmon guest ready" "$log" && break; sleep 1; done
sleep 3 # let boot-time work settle
hz=$(getconf CLK_TCK)
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep "$secs"
t2=$(awk '{print $14 + $15}' "/proc/$pid/stat")
awk -v t="$((t2 - t1))" -v hz="$hz" -v s="$secs" -v a="$accel" \
    'BEGIN { printf "idle %s guest: %.3f s CPU in %d s = %.2f %% of one core\n", a, t / hz, s, 100 * t / hz / s }'
