#!/usr/bin/env bash
# log-scan on a 1 GB log reads only its bounded tail: the time of a run must not depend on
# the size of the log. Needs hyperfine and GNU time (/usr/bin/time).
# Usage: bench/log-scan.sh [OUTDIR]   (results as Markdown in OUTDIR, default target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench}"
mkdir -p "$out"
cargo build --release --locked -q
doctor="$PWD/target/release/autoglm-doctor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A generated 1 GiB log (old lines, then a 10-minute tail with every signature) and a
# 4 MiB log with the same tail, for comparison.
python3 bench/gen_log.py "$tmp/big.log" 1073741824
python3 bench/gen_log.py "$tmp/small.log" 4194304
ls -l "$tmp/big.log" "$tmp/small.log"

run() { BENCH_LOG="$1" "$doctor" check --suite bench/log-scan-suite.yaml --format json --output "$2"; }
run "$tmp/big.log" "$out/log-scan-report.json" || true
python3 - "$out/log-scan-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("bytes_read", r["evidence"]["bytes_read"], "of", r["evidence"]["bytes_total"], "| duration_ms", r["duration_ms"])
for f in r["findings"]:
    print(" ", f.get("code"), f["evidence"].get("count"))
PY

hyperfine --warmup 3 --runs 30 -N --export-markdown "$out/log-scan.md" \
  -n "log-scan, 1 GiB log" "env BENCH_LOG=$tmp/big.log $doctor check --suite bench/log-scan-suite.yaml --format json --output /dev/null" \
  -n "log-scan, 4 MiB log" "env BENCH_LOG=$tmp/small.log $doctor check --suite bench/log-scan-suite.yaml --format json --output /dev/null" \
  -n "grep -c timeout, 1 GiB log (reads it all)" "grep -c timeout $tmp/big.log"

# Peak memory and bytes read from storage for one run on the 1 GiB log.
BENCH_LOG="$tmp/big.log" /usr/bin/time -v "$doctor" check --suite bench/log-scan-suite.yaml \
  --format json --output /dev/null 2> "$out/log-scan-time.txt" || true
grep -E "Elapsed|Maximum resident|File system inputs" "$out/log-scan-time.txt"
cat "$out/log-scan.md"
