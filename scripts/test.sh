#!/usr/bin/env bash
# The test command: every test on SQLite, then the server tests and the
# two-process session test again on a real PostgreSQL (installed and started
# by scripts/start-postgres.sh; needs root, as in CI) beside the browser
# journeys.
# DTI_SKIP_POSTGRES=1 runs the SQLite pass only (a developer machine without root).
set -uo pipefail
cd "$(dirname "$0")/.."
# Per-case start lines and compiler progress are noise in CI logs; results and failures stay.
quiet() { grep -Ev '^(◇|↳)|^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Wrapping|Linking|Write|Applying|Merging)|\[FluentKit\] \[Migrator\]' || true; }

# On a bare machine the tools the tests use (chromium, PostgreSQL, the Python
# harnesses) take minutes to install: do it while Swift builds.
tools_log=$(mktemp)
bash scripts/install-test-tools.sh >"$tools_log" 2>&1 &
tools=$!

echo "== build =="
swift build --build-tests 2>&1 | quiet
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"
wait "$tools"
cat "$tools_log"

# What follows was installed by scripts/install-test-tools.sh (above); here
# each need is only checked.
echo "== OpenAPI document =="
python3 -c "
import yaml
from openapi_spec_validator import validate
validate(yaml.safe_load(open('Sources/DTIServer/Resources/openapi.yaml', encoding='utf-8')))
print('Sources/DTIServer/Resources/openapi.yaml: valid OpenAPI 3.1')
" || exit 1

# The notification test delivers to a real SMTP listener on loopback; the
# Office tests read and write Excel and Word files with openpyxl and python-docx.
python3 -c "import aiosmtpd" 2>/dev/null || echo "aiosmtpd not installed: the SMTP test will be skipped"
python3 -c "import openpyxl, docx" 2>/dev/null || { echo "openpyxl and python-docx are needed by the tests"; exit 1; }

# The Word appendix draws its charts with librsvg's rsvg-convert (Debian's librsvg2-bin).
command -v rsvg-convert >/dev/null || echo "librsvg2-bin not installed: Word exports will have no charts"

echo "== all tests, SQLite =="
swift test --skip-build --skip AvailabilityTests 2>&1 | quiet
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"

# The stall tests time a probe (under 1 s) while a real server is attacked:
# alone, so that the other suites' work on the same two cores is not measured.
echo "== availability under attack (SQLite, alone) =="
swift test --skip-build --filter AvailabilityTests 2>&1 | quiet
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"

# The served OpenAPI document against the running server (schemathesis, a
# bounded number of examples per operation, a throw-away demo database).
echo "== API conformance (schemathesis) =="
bash scripts/schemathesis.sh .build/debug/dti 10 || exit 1

# The published pages as files, served by nginx with deploy/nginx/opendti.conf
# exactly as DEPLOY.md deploys it: every file against the application's answer.
echo "== published site through nginx =="
if command -v nginx >/dev/null; then
  python3 tests/site/check_nginx.py .build/debug/dti || exit 1
else
  echo "nginx not installed (needs root): the published site's nginx check skipped"
fi

# The PostgreSQL pass runs beside the browser journeys, which mostly wait on
# a server and a browser. The authorization matrix runs on SQLite only: it
# asks every route as every role, and the refusals are decided before any
# database (the routes' SQL runs on PostgreSQL in the other suites).
pg_status=0
if [ "${DTI_SKIP_POSTGRES:-0}" != "1" ]; then
  pg_log=$(mktemp)
  (
    url=$(bash scripts/start-postgres.sh --fresh) || { echo "PostgreSQL could not be started"; exit 1; }
    DTI_TEST_DATABASE_URL="$url" swift test --skip-build --filter "DTIServerTests|TwoServersTests" --skip AuthorizationMatrixTests 2>&1 | quiet
    exit "${PIPESTATUS[0]}"
  ) >"$pg_log" 2>&1 &
  pg=$!
fi

# The pages as people use them: Debian's chromium driven by Playwright, every
# journey at 1366×768 and 390×844, and an axe-core scan of the main pages.
echo "== browser journeys (Playwright + chromium) =="
bash tests/browser/run.sh .build/debug/dti
journeys_status=$?

if [ "${DTI_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "DTI_SKIP_POSTGRES=1: PostgreSQL pass skipped."
else
  echo "== server tests, PostgreSQL (ran beside the journeys) =="
  wait "$pg"
  pg_status=$?
  cat "$pg_log"
fi
# The last lines of a CI log say which of the two parallel steps failed.
echo "== summary =="
verdict() { [ "$2" -eq 0 ] && echo "$1: passed" || echo "$1: FAILED (exit $2)"; }
echo "build, SQLite tests, API conformance: passed"
verdict "browser journeys" "$journeys_status"
[ "${DTI_SKIP_POSTGRES:-0}" = "1" ] || verdict "server tests on PostgreSQL" "$pg_status"
[ "$journeys_status" -eq 0 ] || exit "$journeys_status"
exit "$pg_status"
