#!/usr/bin/env bash
# The web benchmark in one command: a release build, then bench/web/run.py
# (OpenDTI beside nginx serving the same bytes, the public pages, the save
# driver at 50 and 200 clients on SQLite and on PostgreSQL beside pgbench).
# Installs wrk, nginx and PostgreSQL from Debian's packages (needs root).
#   bash bench/web/run.sh [OUT_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/tmp/dti-web-bench}"
SECONDS_EACH="${2:-10}"
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
fi
swift build -c release --product dti
python3 bench/web/run.py .build/release/dti "$OUT" --seconds "$SECONDS_EACH"
