#!/usr/bin/env bash
# schemathesis against the served OpenAPI document: starts `dti serve --demo`
# on a throw-away data folder, signs in as the demo administrator to get a
# bearer token, and runs a bounded number of examples per operation with
# every check. Zero failures or the script fails.
#   bash scripts/schemathesis.sh [path/to/dti] [examples]
set -uo pipefail
cd "$(dirname "$0")/.."
DTI="${1:-.build/debug/dti}"
EXAMPLES="${2:-10}"
python3 -c "import schemathesis" 2>/dev/null || pip install -q schemathesis || { echo "schemathesis could not be installed"; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
DTI_DATA_DIR="$work/data" "$DTI" serve --demo --port "$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
token=$(python3 - "$port" <<'PY'
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
r = urllib.request.urlopen(urllib.request.Request(base + "/api/v1/session", method="POST",
    data=json.dumps({"username": "quantri", "password": "OpenDTI@2026"}).encode(), headers={"Content-Type": "application/json"}))
# The session's cookie among the answer's (the browser's device cookie comes with it, ADR 0039).
cookie = next(c for c in r.headers.get_all("Set-Cookie") if c.startswith("dti_session=")).split(";")[0]
csrf = json.load(r)["csrf"]
r = urllib.request.urlopen(urllib.request.Request(base + "/api/v1/tokens", method="POST",
    data=json.dumps({"username": "quantri", "name": "schemathesis"}).encode(),
    headers={"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf}))
print(json.load(r)["token"])
PY
) || { echo "could not sign in to the demo server"; cat "$work/server.log"; exit 1; }
cp scripts/schemathesis.toml "$work/schemathesis.toml"
printf '\n[auth.openapi.bearer]\nbearer = "%s"\n' "$token" >> "$work/schemathesis.toml"
# DELETE is left out: signing out and revoking would end the run's own credentials.
# The Excel upload is left out: schemathesis cannot generate XLSX bodies (fuzz/run.sh xlsx fuzzes that reader).
(cd "$work" && schemathesis run "http://127.0.0.1:$port/api/openapi.yaml" --checks all --max-examples "$EXAMPLES" \
   --exclude-method DELETE --exclude-path "/api/v1/periods/{id}/units/{code}/workbook" --seed 1 --no-color) > "$work/st.log" 2>&1
status=$?
cp "$work/st.log" /tmp/schemathesis-last.log 2>/dev/null || true
grep -E "^(API Operations|  Selected|  Tested|Failures|  ❌|Test cases|  [0-9]+ generated|=+ .* in )" "$work/st.log" || tail -20 "$work/st.log"
if [ $status -ne 0 ]; then
  grep -E "^_+ |^- ST|^\[[0-9]{3}\]" "$work/st.log" | head -60
  echo "schemathesis: failures (exit $status)"
  exit 1
fi
echo "schemathesis: 0 failures"
