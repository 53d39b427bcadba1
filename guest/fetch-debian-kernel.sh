#!/usr/bin/env bash
# Fetches Debian 12's distribution kernel, without installing it on the host:
# resolves the metapackage linux-image-amd64 to the versioned image package it
# depends on (linux-image-6.1.0-NN-amd64), downloads that with `apt-get download`,
# unpacks only its boot/ directory and copies the kernel to
#   guest/out/debian-vmlinuz           the bzImage
#   guest/out/debian-vmlinuz.version   "<package> <version>" of what was fetched
#
# Cached under ${VMON_CACHE:-$HOME/.cache/vmon}/debian-kernel/<package>_<version>/,
# so a second run only asks apt's local lists which version is current.
# The only network access is apt's own, to the configured Debian archive.
#
# Usage: guest/fetch-debian-kernel.sh
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$GUEST_DIR/out
CACHE_DIR=${VMON_CACHE:-$HOME/.cache/vmon}/debian-kernel
META_PKG=linux-image-amd64
# How many fetched kernel versions to keep in the cache.
KEEP=2

say() { printf 'debian-kernel: %s\n' "$*"; }
die() { printf 'debian-kernel: error: %s\n' "$*" >&2; exit 1; }

# Prints the versioned image package the metapackage depends on, or nothing.
resolve_image_pkg() {
	apt-cache depends "$META_PKG" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true
}

# Prints the candidate version of package $1, or nothing.
candidate_version() {
	apt-cache policy "$1" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }' || true
}

refresh_apt_lists() {
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	say "apt does not know $META_PKG yet: running apt-get update"
	$sudo apt-get update -qq >/dev/null 2>&1 || { say "warning: apt-get update failed"; return 1; }
}

# Downloads package $1 at version $2 and stores its kernel in cache entry $3.
fetch_into() {
	local pkg=$1 version=$2 dir=$3 work deb kernel
	work=$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")
	# apt's download sandbox user must be able to write here.
	chmod 0755 "$work"
	say "downloading $pkg $version"
	if ! (cd "$work" && apt-get download -q "$pkg=$version") >"$work/apt.log" 2>&1; then
		cat "$work/apt.log" >&2
		rm -rf -- "$work"
		die "apt-get download $pkg=$version failed"
	fi
	deb=$(find "$work" -maxdepth 1 -name '*.deb' -print -quit)
	[ -n "$deb" ] || die "apt-get download produced no .deb"

	# Only boot/ is needed; the modules would be hundreds of MiB on disk.
	mkdir -p -- "$work/root"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" --wildcards './boot/*'
	kernel=$(find "$work/root/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit)
	[ -n "$kernel" ] || die "$pkg contains no boot/vmlinuz-*"

	rm -rf -- "$dir"
	mkdir -p -- "$dir"
	cp -- "$kernel" "$dir/vmlinuz"
	cp -- "$work"/root/boot/config-* "$dir/config" 2>/dev/null || true
	printf '%s %s\n' "$pkg" "$version" >"$dir/version"
	rm -rf -- "$work"
	touch -- "$dir/.complete"
}

# Prints the most recently used complete cache entry, or nothing.
newest_cached() {
	local d
	while IFS= read -r d; do
		[ -e "$d/.complete" ] && { printf '%s\n' "$d"; return; }
	done < <(ls -1dt "$CACHE_DIR"/*/ 2>/dev/null | sed 's:/$::')
	return 0
}

prune_cache() {
	ls -1dt "$CACHE_DIR"/*/ 2>/dev/null | tail -n +$((KEEP + 1)) | while IFS= read -r d; do
		rm -rf -- "$d"
	done
}

install_file() {
	cp -f -- "$1" "$2.tmp.$$"
	mv -f -- "$2.tmp.$$" "$2"
}

main() {
	local pkg version dir
	mkdir -p -- "$CACHE_DIR" "$OUT_DIR"
	exec 9>"$CACHE_DIR/.lock"
	flock 9

	pkg=$(resolve_image_pkg)
	if [ -z "$pkg" ]; then
		refresh_apt_lists || true
		pkg=$(resolve_image_pkg)
	fi
	if [ -n "$pkg" ]; then
		version=$(candidate_version "$pkg")
		[ -n "$version" ] || die "no installable version of $pkg"
		dir=$CACHE_DIR/${pkg}_$version
		if [ -e "$dir/.complete" ]; then
			say "cached: $pkg $version"
		else
			fetch_into "$pkg" "$version" "$dir"
		fi
	else
		# No apt lists (offline machine): fall back to what was fetched before.
		dir=$(newest_cached)
		[ -n "$dir" ] || die "cannot resolve $META_PKG through apt and nothing is cached"
		say "warning: apt cannot resolve $META_PKG; using cached $(cat "$dir/version")"
	fi
	touch -- "$dir"

	install_file "$dir/vmlinuz" "$OUT_DIR/debian-vmlinuz"
	install_file "$dir/version" "$OUT_DIR/debian-vmlinuz.version"
	prune_cache
	say "done: guest/out/debian-vmlinuz is $(cat "$dir/version") ($(($(stat -c %s "$dir/vmlinuz") / 1024)) KiB)"
}

# "; exit" on the same line: bash reads a script while running it, so this
# keeps a running build sane if the file is edited meanwhile.
main "$@"; exit
