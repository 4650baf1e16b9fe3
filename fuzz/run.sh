#!/usr/bin/env bash
# Fuzzes the readers of untrusted input with libFuzzer (docs/SECURITY.md):
# the number parser, the CSV/TSV results reader, the framework loader, the
# XLSX reader (ZIP + XML), the published-record reader and verifier, and the
# multipart reader of browser uploads.
#   bash fuzz/run.sh            # every target, 1,000,000 inputs each
#   RUNS=100000 bash fuzz/run.sh number csv
# Seeds come from the repository's fixtures; a crash is written to
# fuzz/crashes/TARGET-… and replays with
#   DTI_FUZZ_TARGET=TARGET swift run dti-fuzz fuzz/crashes/TARGET-…
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-1000000}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(number csv framework xlsx framework-workbook record multipart)

# A separate scratch folder: the fuzzer build instruments every module.
swift build --scratch-path .build-fuzz -c release --product dti-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld 2>&1 | grep -E "error|warning: unre|Compiling dti|complete" || true
binary=.build-fuzz/release/dti-fuzz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/crashes
seed() {  # target, files…
  local dir="$work/$1"; shift
  mkdir -p "$dir"
  local n=0
  for f in "$@"; do
    if [ -f "$f" ]; then cp "$f" "$dir/seed-$n"; n=$((n + 1)); fi
  done
}
seed number
printf '1.200,5' > "$work/number/a"; printf '9223372036854,775808' > "$work/number/b"; printf '769.22' > "$work/number/c"
seed csv Tests/Fixtures/seeds/*.csv Tests/Fixtures/seeds/*.tsv Sources/DTIServer/Resources/Demo/results/*.csv Sources/DTIServer/Resources/Demo/results/*.tsv
seed framework frameworks/*.yaml
seed xlsx Tests/Fixtures/office/*.xlsx
seed framework-workbook Tests/Fixtures/office/*.xlsx
seed record Tests/Fixtures/records/*.json
seed multipart
# A browser's form (token, metadata, a small file), split into 7-byte chunks (the first byte).
printf '\007------OpenDTIFuzz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc\r\n------OpenDTIFuzz\r\nContent-Disposition: form-data; name="criteria"\r\n\r\n1;2\r\n------OpenDTIFuzz\r\nContent-Disposition: form-data; name="file"; filename="bien-ban.pdf"\r\nContent-Type: application/pdf\r\n\r\n%%PDF-1.4 biên bản\r\n------OpenDTIFuzz--\r\n' > "$work/multipart/form"

for t in "${targets[@]}"; do
  max_len=65536
  [ "$t" = number ] && max_len=64
  timeout=10 rss=2048
  # The spreadsheet readers are bounded by the size of what was sent (issue 31):
  # an input of 256 KB that takes more than 3 s or 512 MB is a finding.
  case "$t" in xlsx|framework-workbook) max_len=262144 timeout=3 rss=512 ;; esac
  start=$(date +%s)
  # SWIFT_BACKTRACE off: libFuzzer, not the Swift runtime, must see the trap to save the input.
  if SWIFT_BACKTRACE=enable=no DTI_FUZZ_TARGET="$t" "$binary" -runs="$RUNS" -max_len="$max_len" -timeout="$timeout" -rss_limit_mb="$rss" \
       -artifact_prefix="fuzz/crashes/$t-" -print_final_stats=1 "$work/$t" > "$work/$t.log" 2>&1; then
    result="no crash"
  else
    result="FAILED (see fuzz/crashes/, log below)"; tail -30 "$work/$t.log"
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$t.log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$work/$t.log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
  echo "fuzz $t: $runs inputs in $(( $(date +%s) - start )) s, coverage $cov edges: $result"
  [ "$result" = "no crash" ] || exit 1
done
