#!/usr/bin/env bash
# Runs every benchmark of docs/PERFORMANCE.md in one go:
#   bash bench/run.sh [OUT_DIR]
# Needs python3 with pandas and PyYAML (pip install pandas pyyaml).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out}
swift build -c release --product dti
swift build -c release --product dti-bench
python3 bench/generate.py "$out"
echo "== end to end: dti score vs pandas =="
python3 bench/compare.py "$out" --runs 7
echo "== in process (release build) =="
.build/release/dti-bench "$out" --runs 101
