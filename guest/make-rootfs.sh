#!/usr/bin/env bash
# Builds vmon's root-disk guest:
#   guest/out/rootfs.ext4   a 64 MiB ext4 image holding busybox (Debian's
#                           busybox-static) with guest/init as /sbin/init
#
# Boot it with no initramfs:
#   vmon run --kernel guest/out/bzImage --disk guest/out/rootfs.ext4 \
#       --cmdline "console=ttyS0 root=/dev/vda rw -- <shell command>"
# The init behaves exactly as in the initramfs (it is the same script): it
# runs the command after " -- ", prints "vmon guest exit status: N" and
# powers off; without " -- " it starts a shell on the console.
#
# The image is made with `mke2fs -d` from a staging directory, and the one
# device node with debugfs: no loop mount, no root needed. Timestamps and
# the UUID are fixed, so the image is reproducible. It is cached by a hash
# of its inputs under ${VMON_CACHE:-$HOME/.cache/vmon}/guest/rootfs-<hash>/
# (inputs: busybox-static version and binary, e2fsprogs version, guest/init,
# guest/udhcpc.script, this script); a cached build only copies the result.
#
# A guest booted with `rw` changes the image: boot a copy when that matters
# (cp --sparse=always guest/out/rootfs.ext4 /tmp/root.ext4).
#
# Usage: guest/make-rootfs.sh          (environment: VMON_CACHE)
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$GUEST_DIR/out
CACHE_DIR=${VMON_CACHE:-$HOME/.cache/vmon}/guest
BUSYBOX_BIN=/bin/busybox
INIT_SCRIPT=$GUEST_DIR/init
UDHCPC_SCRIPT=$GUEST_DIR/udhcpc.script
IMAGE_SIZE=64M
FIXED_TIME=1700000000
FIXED_UUID=5f2a7c1e-7e57-4d0a-9b1e-766d6f6e0001
KEEP=${VMON_GUEST_KEEP:-3}

say() { printf 'rootfs: %s\n' "$*"; }
die() { printf 'rootfs: error: %s\n' "$*" >&2; exit 1; }

pkg_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || v=
	[ -n "$v" ] || die "package $1 is not installed (run scripts/install-deps.sh)"
	printf '%s\n' "$v"
}

file_sha() { sha256sum "$1" | cut -d' ' -f1; }

inputs_hash() {
	{
		echo "busybox $(pkg_version busybox-static) $(file_sha "$BUSYBOX_BIN")"
		echo "e2fsprogs $(pkg_version e2fsprogs)"
		echo "init $(file_sha "$INIT_SCRIPT")"
		echo "udhcpc $(file_sha "$UDHCPC_SCRIPT")"
		echo "make-rootfs.sh $(file_sha "$GUEST_DIR/make-rootfs.sh")"
	} | sha256sum | cut -c1-16
}

# Lays out the root file system in $1.
stage_tree() {
	local root=$1 path d
	for d in dev proc sys tmp run root etc bin sbin usr/bin usr/sbin etc/udhcpc mnt var/run; do
		mkdir -p -- "$root/$d"
	done
	chmod 1777 "$root/tmp"
	chmod 0700 "$root/root"
	install -m 0755 "$BUSYBOX_BIN" "$root/bin/busybox"
	# One symlink per applet at the path busybox names, except /sbin/init:
	# that is vmon's init script.
	"$BUSYBOX_BIN" --list-full | while IFS= read -r path; do
		case $path in
		bin/busybox | sbin/init) ;;
		*/*) ln -sf /bin/busybox "$root/$path" ;;
		esac
	done
	# guest/init as /sbin/init. The kernel has already mounted devtmpfs on
	# /dev of a disk root (CONFIG_DEVTMPFS_MOUNT), so the script's own mount
	# of it is skipped when /dev is a mount point (it would print an error).
	sed 's|^mount -t devtmpfs |mountpoint -q /dev \|\| mount -t devtmpfs |' "$INIT_SCRIPT" \
		>"$root/sbin/init"
	chmod 0755 "$root/sbin/init"
	install -m 0755 "$UDHCPC_SCRIPT" "$root/etc/udhcpc/default.script"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
	printf '/dev/vda / ext4 rw 0 1\n' >"$root/etc/fstab"
	find "$root" -exec touch -h -d "@$FIXED_TIME" {} +
}

build_image() {
	local dir=$1 stage=$1/stage img=$1/rootfs.ext4.tmp
	rm -rf -- "$dir"
	mkdir -p -- "$stage"
	say "staging busybox $(pkg_version busybox-static)"
	stage_tree "$stage"
	say "mke2fs -d ($IMAGE_SIZE)"
	rm -f -- "$img"
	E2FSPROGS_FAKE_TIME=$FIXED_TIME mke2fs -q -F -t ext4 -L vmon-root -U "$FIXED_UUID" \
		-E root_owner=0:0,hash_seed=$FIXED_UUID -m 0 -d "$stage" "$img" "$IMAGE_SIZE" >/dev/null ||
		die "mke2fs failed"
	# The kernel opens /dev/console before devtmpfs is mounted on some
	# configurations; debugfs makes the node without root.
	printf 'cd /dev\nmknod console c 5 1\nsif console mode 020600\n' >"$dir/debugfs.cmds"
	E2FSPROGS_FAKE_TIME=$FIXED_TIME debugfs -w -f "$dir/debugfs.cmds" "$img" >/dev/null 2>&1 ||
		die "debugfs mknod failed"
	e2fsck -fn "$img" >/dev/null 2>&1 || die "the new image does not pass e2fsck"
	mv -- "$img" "$dir/rootfs.ext4"
	rm -rf -- "$stage"
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
	done < <(ls -1dt "$CACHE_DIR"/rootfs-*/ 2>/dev/null | sed 's:/$::')
}

main() {
	local hash dir
	[ -x "$BUSYBOX_BIN" ] || die "$BUSYBOX_BIN missing (run scripts/install-deps.sh)"
	command -v mke2fs >/dev/null || die "mke2fs missing (apt-get install e2fsprogs)"
	mkdir -p -- "$CACHE_DIR" "$OUT_DIR"
	exec 9>"$CACHE_DIR/.rootfs.lock"
	flock 9
	hash=$(inputs_hash)
	dir=$CACHE_DIR/rootfs-$hash
	if [ -e "$dir/.complete" ]; then
		say "cached ($dir)"
	else
		build_image "$dir"
	fi
	touch -- "$dir" "$dir/.complete"
	cp --sparse=always -f -- "$dir/rootfs.ext4" "$OUT_DIR/rootfs.ext4.tmp.$$"
	mv -f -- "$OUT_DIR/rootfs.ext4.tmp.$$" "$OUT_DIR/rootfs.ext4"
	prune_cache
	say "done: guest/out/rootfs.ext4 ($IMAGE_SIZE, $(du -k "$OUT_DIR/rootfs.ext4" | cut -f1) KiB used)"
}

main "$@"; exit
