#!/usr/bin/env bash
# Builds a BIOS-bootable disk image, guest/out/boot.img, the way a PC's disk
# looks: an MBR (syslinux's mbr.bin, one active partition) and a FAT16
# partition at 1 MiB holding syslinux (ldlinux.sys/ldlinux.c32), Debian's
# kernel (guest/out/debian-vmlinuz, from guest/fetch-debian-kernel.sh) as
# /vmlinuz, the default initramfs (guest/out/initramfs.cpio.gz, from
# guest/build.sh) as /initrd.gz, and a syslinux.cfg that talks on the serial
# console:
#     SERIAL 0 115200 / APPEND console=ttyS0 quiet
# `vmon run --disk guest/out/boot.img` boots it through SeaBIOS to the
# default guest's shell.
#
# Only Debian's tools, no loop mounts, no root: mkfs.fat writes the file
# system at its offset in the image, mtools copies the files in, and
# `syslinux --offset` installs the boot loader into the partition of the
# image file.
#
# Cached by a hash of its inputs (the kernel, the initramfs, the syslinux,
# mtools and dosfstools versions, this script) under
# ${VMON_CACHE:-$HOME/.cache/vmon}/bootdisk/<hash>/; a cached run only copies
# the image into guest/out/.
#
# Usage: guest/make-bootdisk.sh            (environment: VMON_CACHE)
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$GUEST_DIR/out
CACHE_DIR=${VMON_CACHE:-$HOME/.cache/vmon}/bootdisk
KERNEL=$OUT_DIR/debian-vmlinuz
INITRD=$OUT_DIR/initramfs.cpio.gz
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
SECTOR=512
PART_START=2048            # sectors: the partition starts at 1 MiB
KEEP=2                     # cached images kept

say() { printf 'bootdisk: %s\n' "$*"; }
die() { printf 'bootdisk: error: %s\n' "$*" >&2; exit 1; }

pkg_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || v=
	[ -n "$v" ] || die "package $1 is not installed (run scripts/install-deps.sh)"
	printf '%s\n' "$v"
}

file_sha() { sha256sum "$1" | cut -d' ' -f1; }

inputs_hash() {
	{
		echo "kernel $(file_sha "$KERNEL")"
		echo "initrd $(file_sha "$INITRD")"
		echo "syslinux $(pkg_version syslinux) $(pkg_version syslinux-common)"
		echo "mtools $(pkg_version mtools)"
		echo "dosfstools $(pkg_version dosfstools)"
		echo "script $(file_sha "${BASH_SOURCE[0]}")"
	} | sha256sum | cut -c1-16
}

# Writes byte values (decimal) at byte offset $2 of file $1.
put_bytes() {
	local file=$1 off=$2
	shift 2
	local b s=""
	for b in "$@"; do s+=$(printf '\\%03o' "$b"); done
	printf "$s" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# Little-endian 32-bit value as four decimal bytes.
le32() { echo $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }

# The MBR: syslinux's boot code, then one partition entry (active, FAT16
# with LBA addressing, type 0x0e) covering the rest of the disk, then the
# 0x55aa signature. CHS fields hold the "use LBA" placeholder 0xfe/0xff/0xff.
write_mbr() {
	local img=$1 sectors=$2
	dd if="$MBR_BIN" of="$img" bs=440 count=1 conv=notrunc status=none
	# shellcheck disable=SC2046
	put_bytes "$img" 446 128 254 255 255 14 254 255 255 \
		$(le32 "$PART_START") $(le32 $((sectors - PART_START)))
	put_bytes "$img" 510 85 170
}

syslinux_cfg() {
	cat <<-'EOF'
	SERIAL 0 115200
	DEFAULT linux
	PROMPT 0
	TIMEOUT 0
	SAY vmon boot disk: syslinux is loading Debian's kernel
	LABEL linux
	  KERNEL /vmlinuz
	  INITRD /initrd.gz
	  APPEND console=ttyS0 quiet
	EOF
}

build_image() {
	local dir=$1 img=$1/boot.img.tmp
	local need_kib part_kib sectors offset
	rm -rf -- "$dir"
	mkdir -p -- "$dir"
	# Room for the kernel, the initramfs and syslinux, plus a quarter.
	need_kib=$((($(stat -c %s "$KERNEL") + $(stat -c %s "$INITRD")) / 1024 + 1024))
	part_kib=$(((need_kib * 5 / 4 + 1023) / 1024 * 1024))
	[ "$part_kib" -ge 16384 ] || part_kib=16384  # FAT16 wants 16 MiB or more
	sectors=$((PART_START + part_kib * 2))
	offset=$((PART_START * SECTOR))
	truncate -s $((sectors * SECTOR)) "$img"
	write_mbr "$img" "$sectors"
	# The file system at its offset; hidden sectors = where it starts, so
	# its boot sector finds itself on the disk.
	mkfs.fat -F 16 -n VMONBOOT --offset "$PART_START" -h "$PART_START" \
		"$img" $((part_kib)) >/dev/null
	syslinux_cfg >"$dir/syslinux.cfg"
	export MTOOLS_SKIP_CHECK=1
	mcopy -i "$img@@$offset" -o "$KERNEL" ::/vmlinuz
	mcopy -i "$img@@$offset" -o "$INITRD" ::/initrd.gz
	mcopy -i "$img@@$offset" -o "$dir/syslinux.cfg" ::/syslinux.cfg
	syslinux --offset "$offset" --install "$img"
	mdir -a -i "$img@@$offset" -b ::/ | grep -q ldlinux.sys || die "syslinux did not install"
	mv -f -- "$img" "$dir/boot.img"
	touch -- "$dir/.complete"
}

prune_cache() {
	local dir n=0
	while IFS= read -r dir; do
		if [ -e "$dir/.complete" ] && [ "$n" -lt "$KEEP" ]; then
			n=$((n + 1))
		else
			rm -rf -- "$dir"
		fi
	done < <(ls -1dt "$CACHE_DIR"/*/ 2>/dev/null | sed 's:/$::')
}

main() {
	[ -r "$KERNEL" ] || die "$KERNEL missing (run guest/fetch-debian-kernel.sh)"
	[ -r "$INITRD" ] || die "$INITRD missing (run guest/build.sh)"
	[ -r "$MBR_BIN" ] || die "$MBR_BIN missing (apt-get install syslinux-common)"
	for t in mkfs.fat mcopy mdir syslinux; do
		command -v "$t" >/dev/null || die "$t missing (run scripts/install-deps.sh)"
	done
	mkdir -p -- "$CACHE_DIR" "$OUT_DIR"
	exec 9>"$CACHE_DIR/.lock"
	flock 9

	local hash dir
	hash=$(inputs_hash)
	dir=$CACHE_DIR/$hash
	if [ -e "$dir/.complete" ]; then
		say "cached ($dir)"
	else
		say "building $dir/boot.img"
		build_image "$dir"
	fi
	touch -- "$dir"
	cp -f -- "$dir/boot.img" "$OUT_DIR/boot.img.tmp.$$"
	mv -f -- "$OUT_DIR/boot.img.tmp.$$" "$OUT_DIR/boot.img"
	prune_cache
	say "done: guest/out/boot.img ($(($(stat -c %s "$OUT_DIR/boot.img") / 1048576)) MiB)"
}

main "$@"; exit
