#!/usr/bin/env bash
# The test command: every test on SQLite, then the server tests and the
# two-process session test again on a real PostgreSQL (installed and started
# by scripts/start-postgres.sh; needs root, as in CI).
# DTI_SKIP_POSTGRES=1 runs the SQLite pass only (a developer machine without root).
set -uo pipefail
cd "$(dirname "$0")/.."
quiet() { grep -Ev '^(◇|↳)' || true; }

echo "== all tests, SQLite =="
swift test 2>&1 | quiet
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"

if [ "${DTI_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "DTI_SKIP_POSTGRES=1: PostgreSQL pass skipped."
  exit 0
fi
echo "== server tests, PostgreSQL =="
url=$(bash scripts/start-postgres.sh) || { echo "PostgreSQL could not be started"; exit 1; }
DTI_TEST_DATABASE_URL="$url" swift test --filter "DTIServerTests|TwoServersTests" 2>&1 | quiet
exit "${PIPESTATUS[0]}"
