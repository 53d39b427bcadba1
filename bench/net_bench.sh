#!/usr/bin/env bash
# Network throughput benchmark: guest-to-host TCP through virtio-net, vmon's
# software CPU (--accel emu) against QEMU's (TCG, -M microvm), with the same
# kernel, initramfs and guest command.
#
# The guest sends SIZE MiB of zeros with `dd if=/dev/zero bs=64k | nc HOST
# PORT`; a receiver on the host counts the bytes and times them from the
# first byte to the end of the stream. Each run prints that rate in MB/s
# (10^6 bytes per second) and the CPU time (user + system, all threads) of
# the whole emulator run, boot included; the summary gives the medians of
# each machine and the vmon/QEMU ratio of the median rates (above 1: vmon
# is faster). The machine is shared: rates move with the load, CPU times
# much less.
#
# Backends (-b, space separated; default "user tap"):
#   user  user-mode networking: vmon --net user (libslirp), QEMU -netdev
#         user (also libslirp); the guest takes 10.0.2.15 by DHCP and sends
#         to 10.0.2.2, the receiver listens on the host's 127.0.0.1
#   tap   a TAP device in a network namespace made for the run (needs root):
#         vmon --net tap,ifname=..., QEMU -netdev tap (vhost off); the guest
#         is 192.168.77.2, the receiver 192.168.77.1 inside the namespace
#
# vmon runs with --virtio-transport mmio, QEMU's microvm with its virtio-mmio
# devices; QEMU gets tsc_early_khz= on its command line (see
# bench/qemu_boot.sh: microvm cannot calibrate the TSC otherwise).
#
# Usage: bench/net_bench.sh [options]
#   -n RUNS      runs per machine and backend (default 3)
#   -s MIB       MiB the guest sends (default 64)
#   -b BACKENDS  backends to run (default "user tap")
#   -e VMON      the vmon binary (default build/src/cli/vmon, or $VMON)
#   -t SECONDS   per-run timeout (default 300)
#   -Q           vmon only (no QEMU runs)
#   -V           QEMU only (no vmon runs)
#
# Exit status: 0 when every run succeeded, 1 otherwise, 2 on usage errors.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=3
MIB=64
BACKENDS="user tap"
VMON_BIN=${VMON:-$ROOT/build/src/cli/vmon}
TIMEOUT=300
DO_VMON=1
DO_QEMU=1
KERNEL=$ROOT/guest/out/bzImage
INITRD=$ROOT/guest/out/initramfs.cpio.gz
TAP=vmbench0

usage() {
	local text
	text=$(sed -n '/^# Usage:/,/^#   -V/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//')
	if [ "${1:-2}" -eq 0 ]; then echo "$text"; else echo "$text" >&2; fi
	exit "${1:-2}"
}

while getopts "n:s:b:e:t:QVh" opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	s) MIB=$OPTARG ;;
	b) BACKENDS=$OPTARG ;;
	e) VMON_BIN=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	Q) DO_QEMU=0 ;;
	V) DO_VMON=0 ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $MIB =~ ^[1-9][0-9]*$ && $TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage
for f in "$KERNEL" "$INITRD"; do
	[ -r "$f" ] || { echo "net_bench: $f missing (run guest/build.sh)" >&2; exit 2; }
done
[ "$DO_VMON" -eq 0 ] || [ -x "$VMON_BIN" ] ||
	{ echo "net_bench: $VMON_BIN is not built (or give -e)" >&2; exit 2; }
[ "$DO_QEMU" -eq 0 ] || command -v qemu-system-x86_64 >/dev/null ||
	{ echo "net_bench: qemu-system-x86_64 missing (run scripts/install-deps.sh)" >&2; exit 2; }
for b in $BACKENDS; do
	case $b in
	user) ;;
	tap) [ "$(id -u)" -eq 0 ] || { echo "net_bench: the tap backend needs root" >&2; exit 2; } ;;
	*) usage ;;
	esac
done

WORK=$(mktemp -d)
NS=""
cleanup() {
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# The receiver: accepts one connection, counts bytes, prints "BYTES SECONDS".
cat >"$WORK/recv.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(float(sys.argv[3]))
open(sys.argv[4], "w").close()  # listening
c, _ = s.accept()
n, t0, buf = 0, None, bytearray(1 << 20)
while True:
    k = c.recv_into(buf)
    if not k:
        break
    if t0 is None:
        t0 = time.monotonic()
    n += k
print(n, time.monotonic() - t0 if t0 else 0.0)
EOF

khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
COUNT=$((MIB * 16)) # 64 KiB blocks

# Runs one machine ($1: vmon|qemu) on backend $2; prints the rate in MB/s
# or returns 1.
run_one() {
	local machine=$1 backend=$2 port addr host_ip guest_setup wrap=() net=()
	if [ "$backend" = user ]; then
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		addr=127.0.0.1
		host_ip=10.0.2.2
		guest_setup="udhcpc -i eth0 -n -q -t 5 -T 1 >/dev/null 2>&1"
	else
		port=9000
		addr=192.168.77.1
		host_ip=$addr
		guest_setup="ip addr add 192.168.77.2/24 dev eth0 && ip link set eth0 up"
		wrap=(ip netns exec "$NS")
	fi
	local cmd="$guest_setup && dd if=/dev/zero bs=64k count=$COUNT 2>/dev/null | nc $host_ip $port"
	rm -f "$WORK/listening"
	"${wrap[@]}" python3 "$WORK/recv.py" "$addr" "$port" "$TIMEOUT" "$WORK/listening" \
		>"$WORK/recv.out" 2>"$WORK/recv.err" &
	local rpid=$!
	for _ in $(seq 100); do [ -e "$WORK/listening" ] && break; sleep 0.05; done
	local rc=0
	if [ "$machine" = vmon ]; then
		[ "$backend" = user ] && net=(--net user) || net=(--net "tap,ifname=$TAP")
		/usr/bin/time -o "$WORK/time" -f "%U %S" \
			timeout -k 5 "$TIMEOUT" "${wrap[@]}" "$VMON_BIN" run --kernel "$KERNEL" --initrd "$INITRD" \
			--accel emu --virtio-transport mmio "${net[@]}" \
			--cmdline "console=ttyS0 quiet -- $cmd" </dev/null >"$WORK/console" 2>&1 || rc=$?
	else
		[ "$backend" = user ] && net=(-netdev user,id=n0) ||
			net=(-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off")
		/usr/bin/time -o "$WORK/time" -f "%U %S" \
			timeout -k 5 "$TIMEOUT" "${wrap[@]}" qemu-system-x86_64 -accel tcg \
			-M microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=on -m 256M -nographic -no-reboot \
			-kernel "$KERNEL" -initrd "$INITRD" "${net[@]}" -device virtio-net-device,netdev=n0 \
			-append "console=ttyS0 quiet tsc_early_khz=$khz -- $cmd" </dev/null \
			>"$WORK/console" 2>&1 || rc=$?
	fi
	wait "$rpid" || true
	local bytes secs
	read -r bytes secs <"$WORK/recv.out" || true
	if [ "$rc" -ne 0 ] || ! grep -q "vmon guest exit status: 0" "$WORK/console" ||
		[ "${bytes:-0}" -ne $((COUNT * 65536)) ]; then
		echo "FAILED ($machine exit $rc, received ${bytes:-0} bytes); console tail:" >&2
		tr -d '\r' <"$WORK/console" | tail -n 8 | sed 's/^/    /' >&2
		return 1
	fi
	local user sys
	read -r user sys <"$WORK/time" || true
	awk -v b="$bytes" -v s="$secs" -v u="${user:-0}" -v k="${sys:-0}" \
		'BEGIN { printf "%.2f %.2f", b / s / 1e6, u + k }'
}

median() {
	sort -n | awk '{ t[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
for backend in $BACKENDS; do
	if [ "$backend" = tap ]; then
		NS=vmon-bench-$$
		ip netns add "$NS"
		ip netns exec "$NS" ip link set lo up
		ip netns exec "$NS" ip tuntap add dev "$TAP" mode tap
		ip netns exec "$NS" ip addr add 192.168.77.1/24 dev "$TAP"
		ip netns exec "$NS" ip link set "$TAP" up
	fi
	declare -A med=()
	for machine in vmon qemu; do
		[ "$machine" = vmon ] && [ "$DO_VMON" -eq 0 ] && continue
		[ "$machine" = qemu ] && [ "$DO_QEMU" -eq 0 ] && continue
		rates=()
		cpus=()
		for ((run = 1; run <= RUNS; run++)); do
			if res=$(run_one "$machine" "$backend"); then
				read -r rate cpu <<<"$res"
				rates+=("$rate")
				cpus+=("$cpu")
				echo "$backend $machine run $run: $rate MB/s, cpu $cpu s"
			else
				failed=1
			fi
		done
		if [ "${#rates[@]}" -gt 0 ]; then
			med[$machine]=$(printf '%s\n' "${rates[@]}" | median)
			echo "$backend $machine: median ${med[$machine]} MB/s, cpu" \
				"$(printf '%s\n' "${cpus[@]}" | median) s over ${#rates[@]} runs"
		fi
	done
	if [ -n "${med[vmon]:-}" ] && [ -n "${med[qemu]:-}" ]; then
		awk -v v="${med[vmon]}" -v q="${med[qemu]}" -v b="$backend" \
			'BEGIN { printf "%s: vmon/QEMU throughput ratio %.2f\n", b, v / q }'
	fi
	unset med
	if [ -n "$NS" ]; then
		ip netns del "$NS"
		NS=""
	fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(guest command: dd if=/dev/zero bs=64k count=$COUNT | nc HOST PORT; $MIB MiB)"
exit "$failed"
