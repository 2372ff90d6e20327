#!/usr/bin/env bash
# `compare` at fleet scale, whole process: 10,000 full reports (about 200 MB of JSON, 100
# facts each) in every output format, and 2,000 reports each carrying 100 facts of their
# own (refused by the cap on distinct facts). Time with hyperfine, peak memory with
# /usr/bin/time -v. Needs hyperfine, GNU time and python3.
# Usage: bench/compare-fleet.sh [OUTDIR]   (results in OUTDIR, default target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench}"
mkdir -p "$out"
cargo build --release --locked -q
doctor="${CARGO_TARGET_DIR:-$PWD/target}/release/autoglm-doctor"
export AUTOGLM_DOCTOR_LOOPBACK_ONLY=1 AUTOGLM_API_KEY=bench-key-value-0001
"$doctor" check --config bench/config-30-lines.yaml --offline --format json --output "$out/one.json" || true
rm -rf "$out/fleet10k" "$out/own2k"
mkdir -p "$out/fleet10k" "$out/own2k"
python3 - "$out/one.json" "$out/fleet10k" "$out/own2k" <<'PY'
import copy, json, sys
base = json.load(open(sys.argv[1]))
# A full report: about 20 KB, as a node running the whole compute-node suite writes.
results = base["results"]
while len(json.dumps(base)) < 20_000:
    extra = copy.deepcopy(results[len(base["results"]) % len(results)])
    extra["id"] = f'{extra["id"]}.{len(base["results"])}'
    base["results"].append(extra)
# 100 facts: the report's own, then parameters every node should share.
facts = base["facts"]
i = 0
while len(facts) < 100:
    facts[f"bench.param.{i:03d}"] = f"value-{i}" if i % 2 else i
    i += 1
total = 0
for n in range(10_000):
    r = copy.deepcopy(base)
    f = r["facts"]
    f["node.id"] = f"compute-{n:05d}"
    r["host"]["hostname"] = f"compute-{n:05d}"
    f["time.offset_ms"] = round((n % 97) * 0.37 - 12.0, 3)
    if n == 1234:
        f["auth.token_ttl"] = 1800
    text = json.dumps(r)
    total += len(text)
    open(f"{sys.argv[2]}/compute-{n:05d}.json", "w").write(text)
print(f"fleet10k: 10000 reports, {total / 1e6:.0f} MB, {len(base['facts'])} facts each")
for n in range(2_000):
    r = copy.deepcopy(base)
    r["facts"] = {f"own.{n:04d}.{j:03d}": j for j in range(100)}
    r["facts"]["node.id"] = f"own-{n:04d}"
    open(f"{sys.argv[3]}/own-{n:04d}.json", "w").write(json.dumps(r))
PY
hyperfine --warmup 1 --runs 5 -i --export-markdown "$out/compare-fleet.md" \
  -n "compare fleet10k (table)" "$doctor compare $out/fleet10k" \
  -n "compare fleet10k --format json" "$doctor compare --format json $out/fleet10k" \
  -n "compare fleet10k --format markdown" "$doctor compare --format markdown $out/fleet10k" \
  -n "compare own2k (refused)" "$doctor compare $out/own2k"
cat "$out/compare-fleet.md"
for args in "$out/fleet10k" "--format json $out/fleet10k" "$out/own2k"; do
  # shellcheck disable=SC2086
  /usr/bin/time -v "$doctor" compare $args >/dev/null 2>"$out/time.txt" || true
  echo "compare $args: $(grep -E 'Maximum resident' "$out/time.txt" | sed 's/.*: //') KB max RSS, $(grep -E 'Elapsed' "$out/time.txt" | sed 's/.*: //') elapsed"
done
"$doctor" compare "$out/own2k" 2>&1 >/dev/null | head -1 || true
