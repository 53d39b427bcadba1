#!/usr/bin/env bash
# Boot-time benchmark: vmon's software CPU (--accel emu) against QEMU's (TCG).
#
# Boots the same kernel and initramfs to the guest's shell command and
# power-off, N times under each, and prints for each machine the wall time
# and the CPU time (user + system, all threads) of whole runs: median, min
# and max, and the vmon/QEMU ratio of the medians. A run counts when the
# guest printed its banner ("vmon guest ready: ...") and "vmon guest exit
# status: 0" and the emulator exited 0. A run that exceeds the per-run
# timeout is killed, reported and left out (QEMU TCG hangs at boot now and
# then); a failed run is reported and left out.
#
# Configurations (-c, space separated; default "default smp2 debian"):
#   default  guest/out/bzImage, 1 CPU
#   smp2     guest/out/bzImage, 2 CPUs (vmon --cpus 2, QEMU -smp 2)
#   debian   guest/out/debian-vmlinuz (Debian's distribution kernel), 1 CPU
#
# QEMU runs the microvm machine with the devices vmon has switched on (ISA
# serial, PIT, 8259, RTC, ACPI power-off), as bench/qemu_boot.sh does. Its
# kernel command line gets one parameter more than vmon's, tsc_early_khz=
# (the host's TSC rate, which TCG's guest TSC runs at): microvm has neither
# HPET nor ACPI PM timer, so without it the kernel calibrates the TSC against
# the PIT and hangs whenever the host is busy (see bench/qemu_boot.sh). vmon
# needs no such hint (its CPUID reports the TSC frequency).
#
# The machine is shared: wall times depend on the load, CPU times much
# less. The load average is printed before and after.
#
# Usage: bench/boot_bench.sh [options] [--] [guest command]
#   -n RUNS      runs per machine and configuration (default 5)
#   -t SECONDS   per-run timeout (default 120; debian: 6 times that)
#   -c CONFIGS   configurations to run (default "default smp2 debian")
#   -e VMON      the vmon binary (default build/src/cli/vmon, or $VMON)
#   -m SIZE      guest memory (default 256M)
#   -G           vmon leaves decompression to the guest (--decompress guest), as
#                QEMU does: the software CPUs compared on the very same work
#   -Q           vmon only (no QEMU runs)
#   -V           QEMU only (no vmon runs)
#   -k           keep the console logs (their directory is printed)
# The default guest command is "true".
#
# Exit status: 0 if every machine had at least one good run and none failed
# (timeouts alone do not fail the bench), 1 otherwise, 2 on usage errors.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=5
TIMEOUT=120
CONFIGS="default smp2 debian"
VMON_BIN=${VMON:-$ROOT/build/src/cli/vmon}
MEM=256M
DO_VMON=1
DO_QEMU=1
KEEP=0

usage() {
	local text
	text=$(sed -n '/^# Usage:/,/^# The default guest/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//')
	if [ "${1:-2}" -eq 0 ]; then echo "$text"; else echo "$text" >&2; fi
	exit "${1:-2}"
}

DECOMPRESS=host
while getopts "n:t:c:e:m:GQVkh" opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	c) CONFIGS=$OPTARG ;;
	e) VMON_BIN=$OPTARG ;;
	m) MEM=$OPTARG ;;
	G) DECOMPRESS=guest ;;
	Q) DO_QEMU=0 ;;
	V) DO_VMON=0 ;;
	k) KEEP=1 ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
CMD=${*:-true}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage
INITRD=$ROOT/guest/out/initramfs.cpio.gz
[ -r "$INITRD" ] || { echo "boot_bench: $INITRD missing (run guest/build.sh)" >&2; exit 2; }
if [ "$DO_VMON" -eq 1 ] && [ ! -x "$VMON_BIN" ]; then
	echo "boot_bench: $VMON_BIN missing (build vmon, or give -e)" >&2
	exit 2
fi
if [ "$DO_QEMU" -eq 1 ] && ! command -v qemu-system-x86_64 >/dev/null; then
	echo "boot_bench: qemu-system-x86_64 missing (scripts/install-deps.sh, or -Q)" >&2
	exit 2
fi

TSC_KHZ=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
APPEND="console=ttyS0 quiet -- $CMD"
QEMU_APPEND="console=ttyS0 quiet${TSC_KHZ:+ tsc_early_khz=$TSC_KHZ} -- $CMD"

LOGS=$(mktemp -d)
[ "$KEEP" -eq 1 ] || trap 'rm -rf "$LOGS"' EXIT

# The kernel, CPU count and timeout of a configuration.
config() {
	case $1 in
	default) KERNEL=$ROOT/guest/out/bzImage CPUS=1 LIMIT=$TIMEOUT ;;
	smp2) KERNEL=$ROOT/guest/out/bzImage CPUS=2 LIMIT=$TIMEOUT ;;
	debian) KERNEL=$ROOT/guest/out/debian-vmlinuz CPUS=1 LIMIT=$((TIMEOUT * 6)) ;;
	*) echo "boot_bench: unknown configuration '$1'" >&2; exit 2 ;;
	esac
	[ -r "$KERNEL" ] || { echo "boot_bench: $KERNEL missing (guest/build.sh)" >&2; exit 2; }
}

# Sets CMDLINE (an array) for machine $1 (vmon or qemu) and the current config.
command_line() {
	if [ "$1" = vmon ]; then
		CMDLINE=("$VMON_BIN" run --accel emu --decompress "$DECOMPRESS" --cpus "$CPUS" --mem "$MEM" --kernel "$KERNEL"
			--initrd "$INITRD" --cmdline "$APPEND")
	else
		CMDLINE=(qemu-system-x86_64 -accel tcg
			-M microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=on -smp "$CPUS" -m "$MEM"
			-nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$QEMU_APPEND")
	fi
}

# median min max of the numbers on stdin
stats() {
	sort -n | awk '{ t[NR] = $1 }
		END {
			if (!NR) { print "- - -"; exit }
			m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "%.2f %.2f %.2f\n", m, t[1], t[NR]
		}'
}

declare -A MED_WALL MED_CPU SUMMARY
failed=0

# Runs machine $1 RUNS times in the current config; records the medians.
bench_machine() {
	local machine=$1 config=$2 walls=() cpus=() timeouts=0 failures=0
	command_line "$machine"
	echo "  $machine: $(printf '%q ' "${CMDLINE[@]}")"
	for ((run = 1; run <= RUNS; run++)); do
		local log=$LOGS/$config.$machine.$run.log times=$LOGS/$config.$machine.$run.time
		local start end rc=0
		start=$EPOCHREALTIME
		/usr/bin/time -f "%U %S" -o "$times" timeout -k 5 "$LIMIT" "${CMDLINE[@]}" \
			</dev/null >"$log" 2>&1 || rc=$?
		end=$EPOCHREALTIME
		local wall cpu status banner
		wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
		cpu=$(tail -n 1 "$times" | awk 'NF == 2 { printf "%.2f", $1 + $2 }')
		status=$(tr -d '\r' <"$log" | sed -n 's/^vmon guest exit status: //p' | tail -n 1)
		banner=$(tr -d '\r' <"$log" | grep -m1 -o 'vmon guest ready:.*' || true)
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			timeouts=$((timeouts + 1))
			echo "    run $run: timed out after $LIMIT s${banner:+ (after the banner)}"
		elif [ -n "$banner" ] && [ "$status" = 0 ] && [ "$rc" -eq 0 ] && [ -n "$cpu" ]; then
			walls+=("$wall")
			cpus+=("$cpu")
			echo "    run $run: wall $wall s, cpu $cpu s"
		else
			failures=$((failures + 1))
			echo "    run $run: FAILED after $wall s (exit $rc, guest status '${status:-none}');" \
				"console tail:"
			tr -d '\r' <"$log" | tail -n 8 | sed 's/^/        /'
		fi
	done
	local w c
	w=$(printf '%s\n' "${walls[@]}" | grep . | stats || true)
	c=$(printf '%s\n' "${cpus[@]}" | grep . | stats || true)
	[ -n "$w" ] || w="- - -"
	[ -n "$c" ] || c="- - -"
	MED_WALL[$config.$machine]=${w%% *}
	MED_CPU[$config.$machine]=${c%% *}
	SUMMARY[$config.$machine]=$(printf '%-7s %-5s %2d ok %2d t/o %2d fail | wall %5s %5s %5s | cpu %5s %5s %5s' \
		"$config" "$machine" "${#walls[@]}" "$timeouts" "$failures" $w $c)
	if [ "${#walls[@]}" -eq 0 ] || [ "$failures" -gt 0 ]; then
		failed=1
	fi
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'
}

echo "boot_bench: $RUNS runs per machine; guest command: $CMD"
echo "host: $(nproc) CPUs, $(awk -F: '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
machines=()
[ "$DO_VMON" -eq 0 ] || machines+=(vmon)
[ "$DO_QEMU" -eq 0 ] || machines+=(qemu)
for config_name in $CONFIGS; do
	config "$config_name"
	echo "$config_name ($(basename "$KERNEL"), $CPUS CPU$([ "$CPUS" -eq 1 ] || echo s), timeout $LIMIT s):"
	for machine in "${machines[@]}"; do
		bench_machine "$machine" "$config_name"
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "config  mach.  runs                  | wall med   min   max | cpu  med   min   max  (seconds)"
for config_name in $CONFIGS; do
	for machine in "${machines[@]}"; do
		echo "${SUMMARY[$config_name.$machine]}"
	done
	if [ "${#machines[@]}" -eq 2 ]; then
		echo "$(printf '%-7s' "$config_name") vmon/QEMU: wall $(ratio "${MED_WALL[$config_name.vmon]}" "${MED_WALL[$config_name.qemu]}")x," \
			"cpu $(ratio "${MED_CPU[$config_name.vmon]}" "${MED_CPU[$config_name.qemu]}")x (medians)"
	fi
done
[ "$KEEP" -eq 0 ] || echo "console logs: $LOGS"
exit "$failed"
