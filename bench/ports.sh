#!/usr/bin/env bash
# Probe 2,000 loopback ports, whole process, side by side with `nmap -sT` and a `nc -z`
# loop on the same ports. Loopback only. Needs hyperfine, nmap, netcat-openbsd:
#   apt-get install -y hyperfine nmap netcat-openbsd
# Usage: bench/ports.sh [OUTDIR]   (Markdown results in OUTDIR, default target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench}"
mkdir -p "$out"
cargo build --release --locked -q
doctor="$PWD/target/release/autoglm-doctor"
first=40000
last=41999
# Ten of the ports are open (listeners held by a helper process), the rest refused.
python3 - "$first" > "$out/listeners.pid" <<'PY' &
import os, socket, sys, time
first = int(sys.argv[1])
socks = []
for p in range(first, first + 2000, 200):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", p)); s.listen(64); socks.append(s)
print(os.getpid(), flush=True)
time.sleep(600)
PY
sleep 1
trap 'kill "$(cat "$out/listeners.pid")" 2>/dev/null || true' EXIT
ports=$(seq -s, "$first" "$last")
printf 'name: bench-ports\nchecks:\n  - id: ports\n    kind: tcp\n    timeout: 10s\n    with:\n      host: 127.0.0.1\n      ports: [%s]\n' "$ports" > "$out/ports-suite.yaml"
hyperfine --warmup 2 --runs 10 -i --export-markdown "$out/ports.md" \
  "AUTOGLM_DOCTOR_LOOPBACK_ONLY=1 $doctor check --suite $out/ports-suite.yaml --concurrency 256 --format json --output /dev/null" \
  "nmap -sT -n -Pn -p $first-$last 127.0.0.1 -oN /dev/null" \
  "for p in \$(seq $first $last); do nc -z -w1 127.0.0.1 \$p; done"
cat "$out/ports.md"
