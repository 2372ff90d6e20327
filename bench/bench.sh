#!/usr/bin/env bash
# Benchmarks for docs/performance.md. Needs hyperfine and yamllint:
#   apt-get install -y hyperfine && pip install yamllint==1.37.1
# Usage: bench/bench.sh [OUTDIR]   (results as Markdown in OUTDIR, default target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench}"
mkdir -p "$out"
cargo build --release --locked -q
doctor="$PWD/target/release/autoglm-doctor"

# 1. The whole process, config checks only, on a 30-line config.
export AUTOGLM_API_KEY=bench-key-value-0001
hyperfine --warmup 10 --runs 200 -N --export-markdown "$out/startup.md" \
  "$doctor check --config bench/config-30-lines.yaml --only config.* --offline --format json --output /dev/null"

# 2. syntax + lint + schema on a 5 MB YAML, side by side with Python yamllint.
python3 bench/gen_big.py "$out/big.yaml" 5000000
hyperfine --warmup 1 --runs 5 -i --export-markdown "$out/big.md" \
  "yamllint -d relaxed $out/big.yaml" \
  "$doctor check --suite bench/big-suite.yaml --config $out/big.yaml --format json --output /dev/null"
cat "$out/startup.md" "$out/big.md"
