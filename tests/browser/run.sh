#!/usr/bin/env bash
# Browser journeys: Debian's chromium driven by Playwright for Python, as a
# focal point, a unit leader, an evaluator, the council and the administrator
# would use OpenDTI, at 1366×768 and at 390×844, plus an axe-core scan of the
# main pages. Each viewport gets its own fresh demo server.
#   bash tests/browser/run.sh [path/to/dti]
# Screenshots go to $DTI_SCREENSHOTS (default: a temporary folder; the
# committed ones in docs/screenshots/ are refreshed with DTI_SCREENSHOTS=docs/screenshots).
set -uo pipefail
cd "$(dirname "$0")/../.."
DTI="${1:-.build/debug/dti}"
if ! command -v chromium >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "chromium is missing (apt-get install chromium)"; exit 1; }
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || { echo "chromium could not be installed"; exit 1; }
fi
python3 -c "import playwright, axe_playwright_python" 2>/dev/null || pip install -q playwright axe-playwright-python || { echo "playwright could not be installed"; exit 1; }
exec python3 tests/browser/journeys.py "$DTI"
