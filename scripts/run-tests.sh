#!/usr/bin/env bash
# Runs every meson test suite in BUILD (default: build), then the unit and
# fuzz suites of the sanitizer build (tests/fuzz/san-build.sh sets up and
# builds build-san: clang, AddressSanitizer and UndefinedBehaviorSanitizer,
# the fuzz harnesses as libFuzzer targets with a bounded run of FUZZ_SECONDS,
# default 25, each). Prints the fuzzers' figures and ends with the summary
# line "N passed, N failed" over both builds. Exit status 0 only when nothing
# failed.
#
#   scripts/run-tests.sh [BUILD [MESON-TEST-ARGS...]]
#
# The extra arguments apply to BUILD only. VLAB_SAN=0 leaves the sanitizer
# build out; VLAB_SAN_BUILD is its directory (default: build-san in the
# repository); VLAB_NINJA_JOBS limits its parallel compile jobs.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
shift || true

meson test -C "$build" --print-errorlogs --num-processes 1 "$@"
rc=$?
logs=("$build/meson-logs/testlog.json")

san_failed=0
if [ "${VLAB_SAN:-1}" != 0 ]; then
  san=${VLAB_SAN_BUILD:-$root/build-san}
  echo "run-tests: sanitizer build (ASan+UBSan, libFuzzer) in $san"
  if "$root/tests/fuzz/san-build.sh" "$san"; then
    meson test -C "$san" --print-errorlogs --num-processes 1 --suite unit --suite fuzz
    [ $? -eq 0 ] || rc=1
    logs+=("$san/meson-logs/testlog.json")
  else
    echo "run-tests: the sanitizer build in $san failed"
    san_failed=1
    rc=1
  fi
fi

# the fuzzers' figures (tests print them on stdout; meson keeps them in its log)
python3 - "${logs[@]}" <<'EOF'
import json, os, sys
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    build = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    with open(path) as f:
        for line in f:
            try:
                t = json.loads(line)
            except ValueError:
                continue
            out = (t.get('stdout') or '') + '\n' + (t.get('stderr') or '')
            for s in out.splitlines():
                if s.startswith('fuzz-summary:') or (s.startswith('replay:') and ' inputs (' in s):
                    print('%s: %s %s: %s' % (build, t.get('name'), t.get('result'), s))
EOF

passed=0 failed=$san_failed skipped=0
for log in "${logs[@]}"; do
  if [ -f "$log" ]; then
    passed=$((passed + $(grep -c '"result": "OK"' "$log")))
    failed=$((failed + $(grep -cE '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log")))
    skipped=$((skipped + $(grep -c '"result": "SKIP"' "$log")))
  else
    failed=$((failed + 1))
  fi
done
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
