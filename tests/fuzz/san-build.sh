#!/usr/bin/env bash
# Sets up (once) and builds the sanitizer build directory used by
# scripts/run-tests.sh and `make fuzz`: clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (every report fatal), every file built with
# libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link, so the
# fuzzers are guided by the code under test) and the tests/fuzz harnesses as
# libFuzzer targets (-Dfuzz=true). When these options change, the directory
# is set up again.
#
#   tests/fuzz/san-build.sh [DIR]      (default: build-san in the repository)
#
# VLAB_NINJA_JOBS limits ninja's parallel jobs. Needs clang and
# libclang-rt-14-dev (scripts/setup.sh installs them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-san}

cc=${VLAB_SAN_CC:-clang}
opts=(-Dbuildtype=debugoptimized -Db_lto=false -Db_lundef=false
  -Db_sanitize=address,undefined
  "-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer -fsanitize=fuzzer-no-link"
  -Dfuzz=true)
stamp="$dir/vlab-san-options"
want="CC=$cc ${opts[*]}"
if [ ! -f "$dir/build.ninja" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  wipe=()
  [ -f "$dir/build.ninja" ] && wipe=(--wipe)
  CC=$cc meson setup "${wipe[@]}" "$dir" "$root" "${opts[@]}"
  echo "$want" >"$stamp"
fi
ninja -C "$dir" ${VLAB_NINJA_JOBS:+-j "$VLAB_NINJA_JOBS"}
