#!/usr/bin/env bash
# Runs every test: unit tests (release and ASan+UBSan builds) and the
# integration tests that boot real guests. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

echo "== unit tests (release build)"
meson test -C build --suite unit --print-errorlogs

echo "== unit tests (ASan + UBSan build)"
[ -f build-asan/build.ninja ] || meson setup build-asan -Dbuildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C build-asan --suite unit --print-errorlogs

echo "== fuzz harnesses (clang, libFuzzer + ASan/UBSan), a fixed number of runs each"
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dbuildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-fuzz
for f in build-fuzz/tests/fuzz/fuzz_*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    UBSAN_OPTIONS=halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
        "$f" -runs=200000 -seed=1 -max_len=4096 >/dev/null 2>"$f.log" || { tail -40 "$f.log"; exit 1; }
    echo "$(basename "$f"): 200000 runs clean"
done

echo "== integration tests"
/usr/bin/python3 -m pytest -q tests/integration "$@"
