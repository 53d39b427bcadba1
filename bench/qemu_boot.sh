#!/usr/bin/env bash
# Boots vmon's default guest under Debian's QEMU with its software CPU (TCG),
# the reference the emu backend is measured against, and reports the wall time
# from launch to power-off: median, min and max over N runs.
#
# Each run must print the guest's banner ("vmon guest ready: ...") and
# "vmon guest exit status: 0" for the command given after " -- ", then power
# off. QEMU TCG occasionally hangs at boot: a run that exceeds the per-run
# timeout is killed, counted and reported, and left out of the statistics.
#
# Usage: bench/qemu_boot.sh [options] [--] [guest command]
#   -n RUNS      number of runs (default 5)
#   -t SECONDS   per-run timeout (default 60)
#   -M MACHINE   microvm (default) or pc
#   -s CPUS      guest CPUs (default 1)
#   -m SIZE      guest memory (default 256M)
#   -k KERNEL    kernel image (default guest/out/bzImage)
#   -i INITRD    initramfs (default guest/out/initramfs.cpio.gz)
#   -e PARAMS    extra kernel parameters (placed before " -- ")
#   -C           on microvm, do not pass tsc_early_khz (see below)
#   -v           print each run's console output
# The default guest command checks the digest test file and the FPU:
#   sha256sum -c /etc/vmon-test.sha256 && awk 'BEGIN{printf "%.6f\n", 3.14159*2}'
#
# microvm has no HPET and no ACPI PM timer, so the kernel can calibrate the
# TSC only against the PIT, and under TCG that fails whenever the host is busy;
# the kernel then waits for PIT ticks on IRQ0, which microvm's ACPI tables do
# not route, and hangs. On microvm the script therefore passes the host's TSC
# rate (TCG's guest TSC runs at it) as tsc_early_khz=, unless -C is given.
#
# Exit status: 0 if at least one run succeeded and none failed (timeouts
# alone do not fail the bench), 1 otherwise, 2 on usage errors.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=5
TIMEOUT=60
MACHINE=microvm
CPUS=1
MEM=256M
KERNEL=$ROOT/guest/out/bzImage
INITRD=$ROOT/guest/out/initramfs.cpio.gz
VERBOSE=0
EXTRA=""
TSC_HINT=1
DEFAULT_CMD="sha256sum -c /etc/vmon-test.sha256 && awk 'BEGIN{printf \"%.6f\\n\", 3.14159*2}'"

# Prints the usage text above; exits with status $1 (2: to stderr).
usage() {
	local text
	text=$(sed -n '/^# Usage:/,/^# alone/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//')
	if [ "${1:-2}" -eq 0 ]; then echo "$text"; else echo "$text" >&2; fi
	exit "${1:-2}"
}

while getopts "n:t:M:s:m:k:i:e:Cvh" opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	M) MACHINE=$OPTARG ;;
	s) CPUS=$OPTARG ;;
	m) MEM=$OPTARG ;;
	k) KERNEL=$OPTARG ;;
	i) INITRD=$OPTARG ;;
	e) EXTRA=$OPTARG ;;
	C) TSC_HINT=0 ;;
	v) VERBOSE=1 ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
CMD=${*:-$DEFAULT_CMD}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $CPUS =~ ^[1-9][0-9]*$ ]] || usage
for f in "$KERNEL" "$INITRD"; do
	[ -r "$f" ] || { echo "qemu_boot: $f missing (run guest/build.sh)" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "qemu_boot: qemu-system-x86_64 missing (run scripts/install-deps.sh)" >&2; exit 2; }

# Machine flavours. microvm: ISA serial, PIT, 8259, RTC and ACPI (power-off
# through the FADT) switched on explicitly, like the set of devices vmon has.
# pc: the i440FX PC through SeaBIOS, without the default VGA and NIC.
case $MACHINE in
microvm)
	MACHINE_ARGS=(-M "microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=on")
	if [ "$TSC_HINT" -eq 1 ]; then
		khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
		[ -z "$khz" ] || EXTRA="tsc_early_khz=$khz${EXTRA:+ $EXTRA}"
	fi
	;;
pc) MACHINE_ARGS=(-M pc -vga none -nic none) ;;
*) usage ;;
esac

QEMU=(qemu-system-x86_64 -accel tcg "${MACHINE_ARGS[@]}" -smp "$CPUS" -m "$MEM"
	-nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD"
	-append "console=ttyS0 quiet${EXTRA:+ $EXTRA} -- $CMD")

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

times=()
timeouts=0
failures=0
for ((run = 1; run <= RUNS; run++)); do
	start=$EPOCHREALTIME
	rc=0
	timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$LOG" 2>&1 || rc=$?
	end=$EPOCHREALTIME
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
	[ "$VERBOSE" -eq 0 ] || { echo "--- console of run $run ---"; tr -d '\r' <"$LOG"; }

	# Firmware output (SeaBIOS's screen-clearing escapes) may share the banner's line.
	status=$(tr -d '\r' <"$LOG" | sed -n 's/^vmon guest exit status: //p' | tail -n 1)
	banner=$(tr -d '\r' <"$LOG" | grep -m1 -o 'vmon guest ready:.*' || true)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		timeouts=$((timeouts + 1))
		echo "run $run: timed out after $TIMEOUT s${banner:+ (after the banner)}"
	elif [ -n "$banner" ] && [ "$status" = 0 ] && [ "$rc" -eq 0 ]; then
		times+=("$secs")
		echo "run $run: $secs s  ${banner#vmon guest ready: }"
	else
		failures=$((failures + 1))
		echo "run $run: FAILED after $secs s (qemu exit $rc, guest status '${status:-none}'," \
			"${banner:+banner seen}${banner:-no banner}); console tail:"
		tr -d '\r' <"$LOG" | tail -n 15 | sed 's/^/    /'
	fi
done

summary="$MACHINE smp=$CPUS: ${#times[@]} ok, $timeouts timed out, $failures failed"
if [ "${#times[@]}" -gt 0 ]; then
	stats=$(printf '%s\n' "${times[@]}" | sort -n | awk '
		{ t[NR] = $1 }
		END {
			m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "median %.3f s, min %.3f s, max %.3f s", m, t[1], t[NR]
		}')
	summary="$summary; $stats"
fi
echo "$summary"
echo "(kernel command line: ${QEMU[-1]})"
[ "${#times[@]}" -gt 0 ] && [ "$failures" -eq 0 ]
