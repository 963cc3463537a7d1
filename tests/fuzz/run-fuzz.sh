#!/usr/bin/env bash
# One bounded libFuzzer run of a tests/fuzz harness (see README.md there),
# registered by tests/fuzz/meson.build as test fuzz-NAME-run:
#
#   run-fuzz.sh NAME FUZZER SECONDS MAX_LEN TIMEOUT CORPUS_DIR...
#
# Fuzzes for SECONDS (FUZZ_SECONDS in the environment overrides it) starting
# from the files directly in each CORPUS_DIR (seeds and reproducers;
# subdirectories such as reproducers/pending/ are left out) plus the corpus
# grown by earlier runs in $VLAB_FUZZ_WORK/NAME/corpus; an input running
# longer than TIMEOUT seconds is reported as a hang. Prints one line
# "fuzz-summary: NAME: ..." with the figures (inputs tried, crashes, leaks,
# out-of-memory, timeouts) and exits 1 when libFuzzer found anything, with
# the report and how to reproduce it.
set -uo pipefail

if [ $# -lt 6 ]; then
  echo "usage: $0 NAME FUZZER SECONDS MAX_LEN TIMEOUT CORPUS_DIR..." >&2
  exit 2
fi
name=$1 bin=$2 secs=${FUZZ_SECONDS:-$3} maxlen=$4 tmo=$5
shift 5

work=${VLAB_FUZZ_WORK:-$PWD/fuzz-work}/$name
run=$(date +%Y%m%d-%H%M%S)
art=$work/artifacts/$run
mkdir -p "$work/corpus" "$art" || exit 1
rm -rf "$work/inputs"
mkdir -p "$work/inputs" || exit 1

# the given inputs, top level only, under names that cannot collide
n_inputs=0
i=0
for d in "$@"; do
  i=$((i + 1))
  if [ ! -d "$d" ]; then
    echo "run-fuzz: $name: no directory $d" >&2
    exit 1
  fi
  for f in "$d"/*; do
    [ -f "$f" ] || continue
    cp "$f" "$work/inputs/$i-$(basename "$f")" && n_inputs=$((n_inputs + 1))
  done
done

log=$work/log-$run.txt
# a hard bound besides -max_total_time: loading a corpus of slow inputs
# takes up to TIMEOUT seconds each
hard=$((secs * 2 + 300))
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "run-fuzz: $name: fuzzing for $secs s from $n_inputs inputs and $work/corpus; log: $log"
start=$(date +%s)
timeout -k 10 "$hard" "$bin" \
  -max_total_time="$secs" -timeout="$tmo" -max_len="$maxlen" -rss_limit_mb=2048 \
  -artifact_prefix="$art/" -print_final_stats=1 -print_pcs=0 \
  "$work/corpus" "$work/inputs" >"$log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))

count() { find "$art" -maxdepth 1 -type f -name "$1-*" | wc -l; }
crashes=$(count crash)
leaks=$(count leak)
ooms=$(count oom)
timeouts=$(count timeout)
slow=$(count slow-unit)

figure() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
tried=$(figure number_of_executed_units)
[ -n "$tried" ] || tried=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
[ -n "$tried" ] || tried=$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
[ -n "$tried" ] || tried=0
per_s=$(figure average_exec_per_sec)
new=$(figure new_units_added)
corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | sed 's/corp: //')
[ "$timeouts" -gt 0 ] || [ "$rc" -ne 124 ] || timeouts=1 # the hard bound

echo "fuzz-summary: $name: $tried inputs tried in $elapsed s (${per_s:-?}/s) from" \
  "$n_inputs seeds and reproducers; corpus ${corpus:-?} inputs (${new:-0} added);" \
  "crashes $crashes, leaks $leaks, out-of-memory $ooms, timeouts $timeouts," \
  "slow inputs $slow"

found=$((crashes + leaks + ooms + timeouts))
if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
  echo "run-fuzz: $name: libFuzzer exited with status $rc; end of its log ($log):"
  grep -v '^#[0-9]' "$log" | tail -n 60
  for a in "$art"/*; do
    [ -f "$a" ] || continue
    case $(basename "$a") in slow-unit-*) continue ;; esac
    echo "run-fuzz: $name: found $a"
    echo "  reproduce:  $bin $a"
    echo "  keep it:    cp $a ${VLAB_SOURCE_ROOT:-.}/tests/fuzz/$name/reproducers/pending/" \
      "(move it up to reproducers/ once fixed)"
  done
  exit 1
fi
rmdir "$art" 2>/dev/null
exit 0
