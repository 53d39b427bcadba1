#!/usr/bin/env bash
# Builds vmon's default guest:
#   guest/out/bzImage             Linux from Debian's linux-source-6.12, small config
#   guest/out/vmlinux             the same kernel as an uncompressed ELF (PVH entry note)
#   guest/out/System.map          its symbol table
#   guest/out/config              its final .config
#   guest/out/initramfs.cpio.gz   busybox (Debian's busybox-static), guest/init as /init,
#                                 the 1 MiB digest test file /etc/vmon-test.bin, and
#                                 /usr/bin/vsock (guest/tools/vsock.c, static)
#
# Results are cached by a hash of their inputs under
# ${VMON_CACHE:-$HOME/.cache/vmon}/guest/:
#   kernel-<hash>/     kernel source + build tree, results in out/
#                      inputs: linux-source-6.12 version, kernel.config, the "Kernel"
#                      section of this script, gcc version
#   initramfs-<hash>/  initramfs.cpio.gz
#                      inputs: busybox-static version and binary, init, udhcpc.script,
#                      guest/tools/vsock.c, this script
# so editing guest/init does not rebuild the kernel. A run whose inputs are
# cached only copies the results into guest/out/.
#
# Usage: guest/build.sh            (environment: VMON_CACHE, VMON_GUEST_KEEP)
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$GUEST_DIR/out
CACHE_DIR=${VMON_CACHE:-$HOME/.cache/vmon}/guest
LINUX_PKG=linux-source-6.12
LINUX_TARBALL=/usr/src/$LINUX_PKG.tar.xz
BUSYBOX_PKG=busybox-static
BUSYBOX_BIN=/bin/busybox
FRAGMENT=$GUEST_DIR/kernel.config
INIT_SCRIPT=$GUEST_DIR/init
UDHCPC_SCRIPT=$GUEST_DIR/udhcpc.script
VSOCK_TOOL=$GUEST_DIR/tools/vsock.c
# How many kernel-* and initramfs-* cache entries to keep (most recently used).
KEEP=${VMON_GUEST_KEEP:-3}
# Fixed mtime for everything in the initramfs, so it is byte-for-byte reproducible.
CPIO_MTIME=1700000000

say() { printf 'guest: %s\n' "$*"; }
die() { printf 'guest: error: %s\n' "$*" >&2; exit 1; }

# Prints the installed version of Debian package $1, or fails.
pkg_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) ||
		die "package $1 is not installed (run scripts/install-deps.sh)"
	[ -n "$v" ] || die "package $1 is not installed (run scripts/install-deps.sh)"
	printf '%s\n' "$v"
}

file_sha() { sha256sum "$1" | cut -d' ' -f1; }
kib() { echo $(($(stat -c %s "$1") / 1024)); }

# Reads "label value" lines on stdin, prints a short hash of them.
inputs_hash() { sha256sum | cut -c1-16; }

# Runs "$@" with all output appended to log $1; on failure prints the log's tail.
run_logged() {
	local log=$1
	shift
	if ! "$@" >>"$log" 2>&1; then
		printf 'guest: command failed: %s\n--- last lines of %s ---\n' "$*" "$log" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
}

# Removes cache entries named $1-* that are incomplete (left by an interrupted
# build: the lock is held, so nobody is building them) or beyond the $KEEP most
# recently used complete ones. Each entry is touched when it is used.
prune_cache() {
	local prefix=$1 dir n=0
	while IFS= read -r dir; do
		if [ -e "$dir/.complete" ] && [ "$n" -lt "$KEEP" ]; then
			n=$((n + 1))
		else
			rm -rf -- "$dir"
		fi
	done < <(ls -1dt "$CACHE_DIR/$prefix"-*/ 2>/dev/null | sed 's:/$::')
}

# Copies $1 to $2 through a temporary name, so readers never see half a file.
install_file() {
	cp -f -- "$1" "$2.tmp.$$"
	mv -f -- "$2.tmp.$$" "$2"
}

# --- Kernel ------------------------------------------------------------------

kernel_hash() {
	{
		echo "linux-source $LINUX_VERSION"
		echo "fragment $(file_sha "$FRAGMENT")"
		# Only this section: editing the initramfs part must not rebuild the kernel.
		echo "build.sh-kernel $(sed -n '/^# --- Kernel ---/,/^# --- Initramfs ---/p' \
			"$GUEST_DIR/build.sh" | sha256sum | cut -d' ' -f1)"
		echo "gcc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
	} | inputs_hash
}

# Checks that every line of the fragment holds in .config $1:
# "CONFIG_X=v" must appear as such, "# CONFIG_X is not set" must not be set.
verify_config() {
	local config=$1 line sym bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			if ! grep -qxF -- "$line" "$config"; then
				sym=${line%%=*}
				printf 'guest:   wanted %-40s got: %s\n' "$line" \
					"$(grep -E "^$sym=|^# $sym is not set" "$config" || echo 'absent (dependency not met)')" >&2
				bad=1
			fi
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -qE "^$sym=[ym]" "$config"; then
				printf 'guest:   wanted %-40s got: %s\n' "$sym=n" "$(grep -E "^$sym=" "$config")" >&2
				bad=1
			fi
			;;
		esac
	done <"$FRAGMENT"
	[ "$bad" -eq 0 ] || die "final .config does not honour guest/kernel.config (see above)"
}

build_kernel() {
	local dir=$1 src=$1/linux log=$1/build.log start
	rm -rf -- "$dir"
	mkdir -p -- "$src" "$dir/out"
	: >"$log"
	start=$(date +%s)

	say "kernel: extracting $LINUX_TARBALL"
	run_logged "$log" tar -xf "$LINUX_TARBALL" -C "$src" --strip-components=1

	# The one change to Debian's source: INIT_ENV_ARG_LIMIT has no prompt, so
	# raise its default (see guest/kernel.config); verify_config checks it took.
	sed -i 's/^\(\tdefault\) 32 if !UML$/\1 1024 if !UML/' "$src/init/Kconfig"

	say "kernel: configuring (tinyconfig + guest/kernel.config)"
	export KBUILD_BUILD_USER=vmon KBUILD_BUILD_HOST=vmon
	run_logged "$log" make -C "$src" ARCH=x86_64 tinyconfig
	run_logged "$log" bash -c 'cd "$1" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n .config "$2"' _ "$src" "$FRAGMENT"
	run_logged "$log" make -C "$src" ARCH=x86_64 olddefconfig
	verify_config "$src/.config"

	say "kernel: compiling with $(nproc) jobs (log: $log)"
	run_logged "$log" make -C "$src" ARCH=x86_64 -j"$(nproc)" bzImage

	cp -- "$src/arch/x86/boot/bzImage" "$src/vmlinux" "$src/System.map" "$dir/out/"
	cp -- "$src/.config" "$dir/out/config"
	say "kernel: built in $(($(date +%s) - start)) s"
	touch -- "$dir/.complete"
}

# --- Initramfs ---------------------------------------------------------------

initramfs_hash() {
	{
		echo "busybox $BUSYBOX_VERSION $(file_sha "$BUSYBOX_BIN")"
		echo "init $(file_sha "$INIT_SCRIPT")"
		echo "udhcpc $(file_sha "$UDHCPC_SCRIPT")"
		echo "vsock.c $(file_sha "$VSOCK_TOOL")"
		echo "build.sh $(file_sha "$GUEST_DIR/build.sh")"
	} | inputs_hash
}

# Writes the 1 MiB digest test file to $1. Recipe: block i (i = 0 .. 32767) is
# the 32-byte SHA-256 of the ASCII text "vmon-test-<i>" (decimal i).
make_test_file() {
	local python=/usr/bin/python3
	[ -x "$python" ] || python=python3
	"$python" - "$1" <<'EOF'
import hashlib, sys
with open(sys.argv[1], "wb") as f:
    for i in range(32768):
        f.write(hashlib.sha256(b"vmon-test-%d" % i).digest())
EOF
	[ "$(stat -c %s "$1")" -eq 1048576 ] || die "test file has the wrong size"
}

# Prints the gen_init_cpio list of the initramfs; staged files are in $1.
initramfs_list() {
	local stage=$1 d path
	for d in /dev /proc /sys /tmp /run /root /etc /bin /sbin /usr /usr/bin /usr/sbin \
		/etc/udhcpc /mnt /var /var/run; do
		case $d in
		/tmp) echo "dir $d 1777 0 0" ;;
		/root) echo "dir $d 0700 0 0" ;;
		*) echo "dir $d 0755 0 0" ;;
		esac
	done
	# The kernel opens /dev/console for init before devtmpfs is mounted.
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /init $INIT_SCRIPT 0755 0 0"
	echo "file /bin/busybox $BUSYBOX_BIN 0755 0 0"
	# One symlink per applet, at the path busybox itself names.
	"$BUSYBOX_BIN" --list-full | while IFS= read -r path; do
		case $path in
		*/*) [ "$path" = bin/busybox ] || echo "slink /$path /bin/busybox 0777 0 0" ;;
		esac
	done
	# Debian builds busybox with CONFIG_UDHCPC_DEFAULT_SCRIPT=/etc/udhcpc/default.script.
	echo "file /etc/udhcpc/default.script $UDHCPC_SCRIPT 0755 0 0"
	echo "file /etc/passwd $stage/passwd 0644 0 0"
	echo "file /etc/group $stage/group 0644 0 0"
	echo "file /etc/vmon-test.bin $stage/vmon-test.bin 0644 0 0"
	echo "file /etc/vmon-test.sha256 $stage/vmon-test.sha256 0644 0 0"
	echo "file /etc/vmon-test.md5 $stage/vmon-test.md5 0644 0 0"
	echo "file /usr/bin/vsock $stage/vsock 0755 0 0"
}

build_initramfs() {
	local dir=$1 kdir=$2 stage=$1/stage log=$1/build.log
	rm -rf -- "$dir"
	mkdir -p -- "$stage"
	: >"$log"
	say "initramfs: assembling busybox $BUSYBOX_VERSION"

	# gen_init_cpio writes root-owned entries and device nodes without needing root.
	run_logged "$log" cc -O2 -o "$stage/gen_init_cpio" "$kdir/linux/usr/gen_init_cpio.c"
	# The guest's AF_VSOCK tool (busybox has none).
	run_logged "$log" gcc -static -Os -s -Wall -Wextra -o "$stage/vsock" "$VSOCK_TOOL"

	make_test_file "$stage/vmon-test.bin"
	echo "$(file_sha "$stage/vmon-test.bin")  /etc/vmon-test.bin" >"$stage/vmon-test.sha256"
	echo "$(md5sum "$stage/vmon-test.bin" | cut -d' ' -f1)  /etc/vmon-test.bin" >"$stage/vmon-test.md5"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/passwd"
	printf 'root:x:0:\n' >"$stage/group"

	initramfs_list "$stage" >"$stage/list"
	"$stage/gen_init_cpio" -t "$CPIO_MTIME" "$stage/list" >"$stage/initramfs.cpio" 2>>"$log" ||
		die "gen_init_cpio failed (log: $log)"
	gzip -9 -n -c "$stage/initramfs.cpio" >"$dir/initramfs.cpio.gz"
	rm -rf -- "$stage"
	touch -- "$dir/.complete"
}

# --- Main --------------------------------------------------------------------

main() {
	local khash ihash kdir idir f
	[ -r "$LINUX_TARBALL" ] || die "$LINUX_TARBALL missing (run scripts/install-deps.sh)"
	[ -x "$BUSYBOX_BIN" ] || die "$BUSYBOX_BIN missing (run scripts/install-deps.sh)"
	for f in "$FRAGMENT" "$INIT_SCRIPT" "$UDHCPC_SCRIPT" "$VSOCK_TOOL"; do
		[ -r "$f" ] || die "$f missing"
	done
	LINUX_VERSION=$(pkg_version "$LINUX_PKG")
	BUSYBOX_VERSION=$(pkg_version "$BUSYBOX_PKG")
	mkdir -p -- "$CACHE_DIR" "$OUT_DIR"

	# One build at a time per cache (two checkouts may share it).
	exec 9>"$CACHE_DIR/.lock"
	flock 9

	khash=$(kernel_hash)
	kdir=$CACHE_DIR/kernel-$khash
	if [ -e "$kdir/.complete" ]; then
		say "kernel: cached ($kdir)"
	else
		build_kernel "$kdir"
	fi
	touch -- "$kdir" "$kdir/.complete"

	ihash=$(initramfs_hash)
	idir=$CACHE_DIR/initramfs-$ihash
	if [ -e "$idir/.complete" ]; then
		say "initramfs: cached ($idir)"
	else
		build_initramfs "$idir" "$kdir"
	fi
	touch -- "$idir" "$idir/.complete"

	for f in bzImage vmlinux System.map config; do
		install_file "$kdir/out/$f" "$OUT_DIR/$f"
	done
	install_file "$idir/initramfs.cpio.gz" "$OUT_DIR/initramfs.cpio.gz"

	prune_cache kernel
	prune_cache initramfs
	say "done: bzImage $(kib "$OUT_DIR/bzImage") KiB, initramfs.cpio.gz $(kib "$OUT_DIR/initramfs.cpio.gz") KiB in guest/out/"
}

# "; exit" on the same line: bash reads a script while running it, so this
# keeps a running build sane if the file is edited meanwhile.
main "$@"; exit
