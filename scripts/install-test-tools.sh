#!/usr/bin/env bash
# Installs what the tests need from outside Swift, best effort and
# idempotent: Debian's chromium, PostgreSQL (started, as the PostgreSQL pass
# expects), librsvg2-bin and nginx (the published site's check) when run as root; the Python test harnesses with
# pip. scripts/test.sh runs this in the background while Swift builds and
# then only checks; schemathesis.sh and tests/browser/run.sh, which also run
# on their own, install what they need if it is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
if [ "$(id -u)" = 0 ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
  command -v nginx >/dev/null || missing+=(nginx-light)
  [ "${DTI_SKIP_POSTGRES:-0}" = "1" ] || command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
      || echo "apt-get could not install ${missing[*]}"
  fi
  [ "${DTI_SKIP_POSTGRES:-0}" = "1" ] || bash scripts/start-postgres.sh >/dev/null 2>&1 || echo "PostgreSQL could not be started"
fi
python3 -c "import openapi_spec_validator, yaml, aiosmtpd, openpyxl, docx, schemathesis, playwright, axe_playwright_python" 2>/dev/null \
  || pip install -q openapi-spec-validator pyyaml aiosmtpd openpyxl python-docx schemathesis playwright axe-playwright-python \
  || echo "pip could not install every test harness"
echo "test tools ready in $(( $(date +%s) - started )) s"
