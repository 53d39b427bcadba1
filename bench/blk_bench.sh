#!/usr/bin/env bash
# virtio-blk throughput seen from inside the guest: sequential 1 MiB and
# random 4 KiB reads and writes with O_DIRECT on a raw disk, for vmon (both
# virtio transports) and for Debian's QEMU with its software CPU (TCG,
# microvm machine, virtio-blk-device), with the same kernel, initramfs and
# images, in one run; prints each result and the vmon/QEMU ratios.
#
# The guest side is a small static program (built here with gcc -static and
# handed to the guest on a second, read-only ext4 disk made with mke2fs -d):
# it times each pattern with CLOCK_MONOTONIC for a fixed duration. Both
# machines run guest code in software, so the numbers mostly measure the
# guest CPU's speed (the kernel's block layer and the virtio driver run on
# it), not the host disk: the data lives in the host page cache.
#
# Usage: bench/blk_bench.sh [-a kvm|emu] [-s SECONDS] [-d SIZE_MIB] [-q] [-v]
#   -a ACCEL    vmon's --accel (default emu; QEMU always uses TCG)
#   -s SECONDS  duration of each pattern (default 3)
#   -d MIB      size of the benchmark disk (default 256)
#   -q          skip QEMU
#   -v          print the guests' console output
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VMON=${VMON:-$ROOT/build/src/cli/vmon}
KERNEL=$ROOT/guest/out/bzImage
INITRD=$ROOT/guest/out/initramfs.cpio.gz
ACCEL=emu
SECS=3
DISK_MIB=256
QEMU_TOO=1
VERBOSE=0

usage() {
	sed -n '/^# Usage:/,/^#   -v/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while getopts "a:s:d:qvh" opt; do
	case $opt in
	a) ACCEL=$OPTARG ;;
	s) SECS=$OPTARG ;;
	d) DISK_MIB=$OPTARG ;;
	q) QEMU_TOO=0 ;;
	v) VERBOSE=1 ;;
	*) usage ;;
	esac
done
[[ $SECS =~ ^[1-9][0-9]*$ && $DISK_MIB =~ ^[1-9][0-9]*$ ]] || usage
for f in "$VMON" "$KERNEL" "$INITRD"; do
	[ -e "$f" ] || { echo "blk_bench: $f missing (run scripts/build.sh)" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- The guest program ---------------------------------------------------

cat >"$WORK/blkbench.c" <<'CEOF'
/* blkbench DEV SECONDS: O_DIRECT patterns on DEV, one line each:
 *   RESULT <pattern> <MiB/s> <IOPS> */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

static void run(int fd, const char *name, size_t bs, int write, int random, uint64_t size,
		double secs, void *buf)
{
	uint64_t seed = 88172645463325252ull, ops = 0, off = 0, blocks = size / bs;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 16; i++) {
			off = random ? (rnd(&seed) % blocks) * bs : (off + bs) % (blocks * bs);
			ssize_t k = write ? pwrite(fd, buf, bs, (off_t)off) : pread(fd, buf, bs, (off_t)off);
			if (k != (ssize_t)bs) {
				perror(name);
				exit(1);
			}
			ops++;
		}
		t = now() - t0;
	} while (t < secs);
	if (write)
		fdatasync(fd);
	t = now() - t0;
	printf("RESULT %s %.2f %.0f\n", name, ops * bs / t / 1048576.0, ops / t);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = open(argv[1], O_RDWR | O_DIRECT);
	uint64_t size = 0;
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
		perror(argv[1]);
		return 1;
	}
	double secs = atof(argv[2]);
	void *buf;
	if (posix_memalign(&buf, 4096, 1 << 20))
		return 1;
	memset(buf, 0x5a, 1 << 20);
	run(fd, "seq-write-1M", 1 << 20, 1, 0, size, secs, buf);
	run(fd, "seq-read-1M", 1 << 20, 0, 0, size, secs, buf);
	run(fd, "rand-write-4K", 4096, 1, 1, size, secs, buf);
	run(fd, "rand-read-4K", 4096, 0, 1, size, secs, buf);
	return 0;
}
CEOF
mkdir -p "$WORK/tools"
gcc -O2 -static -o "$WORK/tools/blkbench" "$WORK/blkbench.c" ||
	{ echo "blk_bench: gcc -static failed (libc6-dev?)" >&2; exit 2; }
mke2fs -q -F -t ext4 -d "$WORK/tools" "$WORK/tools.ext4" 16M >/dev/null

GUEST_CMD="mount -o ro /dev/vdb /mnt && /mnt/blkbench /dev/vda $SECS"

# Runs one machine: $1 label, rest the command. Prints its RESULT lines.
measure() {
	local label=$1 log=$WORK/$1.log
	shift
	truncate -s 0 "$WORK/disk.img"
	truncate -s "${DISK_MIB}M" "$WORK/disk.img"
	local start=$EPOCHREALTIME rc=0
	timeout -k 5 900 "$@" </dev/null >"$log" 2>&1 || rc=$?
	local secs
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	[ "$VERBOSE" -eq 0 ] || { echo "--- $label ---"; tr -d '\r' <"$log"; }
	if ! tr -d '\r' <"$log" | grep -q '^RESULT '; then
		echo "$label: FAILED (exit $rc); console tail:" >&2
		tr -d '\r' <"$log" | tail -n 15 | sed 's/^/    /' >&2
		return 1
	fi
	tr -d '\r' <"$log" | sed -n "s/^RESULT /$label /p"
	echo "$label: whole run ${secs} s" >&2
}

RESULTS=$WORK/results
: >"$RESULTS"
for transport in pci mmio; do
	measure "vmon-$ACCEL-$transport" "$VMON" run --accel "$ACCEL" --kernel "$KERNEL" \
		--initrd "$INITRD" --virtio-transport "$transport" --rng off \
		--disk "$WORK/disk.img" --disk "$WORK/tools.ext4,ro=on" \
		--cmdline "console=ttyS0 quiet -- $GUEST_CMD" >>"$RESULTS" || true
done
if [ "$QEMU_TOO" -eq 1 ]; then
	khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	measure qemu-tcg-mmio qemu-system-x86_64 -accel tcg \
		-M microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=on -m 256M -nographic -no-reboot \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-drive "if=none,id=d0,file=$WORK/disk.img,format=raw,cache=writeback" \
		-device virtio-blk-device,drive=d0 \
		-drive "if=none,id=d1,file=$WORK/tools.ext4,format=raw,readonly=on" \
		-device virtio-blk-device,drive=d1 \
		-append "console=ttyS0 quiet${khz:+ tsc_early_khz=$khz} -- $GUEST_CMD" >>"$RESULTS" || true
fi

echo
printf '%-22s %-14s %10s %10s\n' machine pattern MiB/s IOPS
sort -k2,2 -k1,1 "$RESULTS" | awk '{ printf "%-22s %-14s %10s %10s\n", $1, $2, $3, $4 }'
if grep -q '^qemu-tcg-mmio ' "$RESULTS"; then
	echo
	echo "ratios vmon / QEMU TCG (MiB/s; > 1: vmon faster):"
	awk '$1 == "qemu-tcg-mmio" { q[$2] = $3 }
	     { r[$1, $2] = $3; m[$1] = 1; p[$2] = 1 }
	     END {
		for (mm in m) if (mm != "qemu-tcg-mmio")
			for (pp in p) if (q[pp] > 0 && r[mm, pp] != "")
				printf "  %-22s %-14s %6.2f\n", mm, pp, r[mm, pp] / q[pp]
	     }' "$RESULTS" | sort -k2,2 -k1,1
fi
