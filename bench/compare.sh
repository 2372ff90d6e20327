#!/usr/bin/env bash
# `compare` over 5,000 reports, whole process. Needs hyperfine.
# Usage: bench/compare.sh [OUTDIR]   (Markdown results in OUTDIR, default target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench}"
mkdir -p "$out/fleet"
cargo build --release --locked -q
doctor="$PWD/target/release/autoglm-doctor"
export AUTOGLM_DOCTOR_LOOPBACK_ONLY=1 AUTOGLM_API_KEY=bench-key-value-0001
"$doctor" check --config bench/config-30-lines.yaml --offline --format json --output "$out/one.json" || true
python3 - "$out/one.json" "$out/fleet" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
for i in range(5000):
    r = json.loads(json.dumps(base))
    r["facts"]["node.id"] = f"compute-{i:04d}"
    r["host"]["hostname"] = f"compute-{i:04d}"
    if i == 1234:
        r["facts"]["auth.token_ttl"] = 1800
    json.dump(r, open(f"{sys.argv[2]}/compute-{i:04d}.json", "w"))
PY
hyperfine --warmup 2 --runs 10 -i --export-markdown "$out/compare.md" "$doctor compare $out/fleet"
cat "$out/compare.md"
