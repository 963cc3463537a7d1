#!/usr/bin/env bash
# Runs every meson test suite in BUILD (default: build) and ends with the
# summary line "N passed, N failed". Exit status 0 only when nothing failed.
set -uo pipefail
build=${1:-build}
shift || true

meson test -C "$build" --print-errorlogs --num-processes 1 "$@"
rc=$?

log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
  passed=$(grep -c '"result": "OK"' "$log" || true)
  failed=$(grep -cE '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)
  skipped=$(grep -c '"result": "SKIP"' "$log" || true)
else
  passed=0; failed=1; skipped=0
fi
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
