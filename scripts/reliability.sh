#!/usr/bin/env bash
# The acceptance cases of docs/reliability.md: hostile files and inputs that once hung the
# doctor past its deadline, exhausted its memory or crashed it. Each case runs the release
# binary under /usr/bin/time -v and prints: case, wall seconds, peak RSS (MB), exit status,
# and whether a report was written. Usage: scripts/reliability.sh [BINARY]
# Without BINARY, the release profile is built (`cargo build --release --locked`) and used:
# the figures are those of what ships.
# Everything stays on this machine: configs name loopback addresses only, and
# AUTOGLM_DOCTOR_LOOPBACK_ONLY=1 confines every probe to loopback.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${1:-}" ]; then
    bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    (cd "$root" && cargo build --release --locked --quiet)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/autoglm-doctor"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export AUTOGLM_DOCTOR_LOOPBACK_ONLY=1
unset AUTOGLM_CONFIG

mkfifo fifo
truncate -s 3G huge
printf 'auth:\n  jwt:\n    algorithm: HS256\n    token_file: fifo\n' > token-fifo.yaml
printf 'auth:\n  jwt:\n    algorithm: HS256\n    token_file: /dev/zero\n    secret_file: huge\n' > token-zero.yaml
printf 'auth:\n  token_ttl: 3600\n  jwt:\n    algorithm: HS256\n    secret_file: fifo\n' > master-fifo.yaml
printf 'auth:\n  token_ttl: 3600\n' > node.yaml
printf 'time:\n  timezone: %s\n' "$work/fifo" > tz-fifo.yaml
cat > token.suite <<'EOF'
checks:
  - id: token
    kind: auth-token
    timeout: 2s
  - id: creds
    kind: config.credentials
    timeout: 2s
EOF
cat > tls.suite <<'EOF'
checks:
  - id: tls
    kind: tls
    timeout: 2s
    with:
      url: https://127.0.0.1:9
      ca_file: fifo
EOF
cat > params.suite <<'EOF'
checks:
  - id: params
    kind: auth-params
    timeout: 2s
EOF
cat > tz.suite <<'EOF'
checks:
  - id: zone
    kind: timezone
    timeout: 2s
    with:
      expected: ${config.time.timezone}
EOF
cat > lint.suite <<'EOF'
checks:
  - id: lint
    kind: config-lint
    timeout: 1m
EOF
cat > plugin.suite <<'EOF'
checks:
  - id: plugin
    kind: exec
    timeout: 1m
    with:
      command: [sh, -c, "sleep 3600"]
EOF
python3 - <<'EOF'
with open("flat-80k.yaml", "w") as f:
    for i in range(80_000):
        f.write(f"key{i:05}: {i}\n")
with open("flat-4mb.yaml", "w") as f:
    i = 0
    while f.tell() < 4_000_000:
        f.write(f"key{i:06}: {i}\n")
        i += 1
with open("every-line-1mb.yaml", "w") as f:
    # A trailing-spaces error and a duplicate key on each line, just under the lint's 1 MiB.
    f.write("a: 1   \n" * 131_000)
with open("every-line-4mb.yaml", "w") as f:
    f.write("a: 1   \n" * 500_000)
with open("anchors.yaml", "w") as f:
    # 216 KB of nested anchors: each level doubles the one before.
    f.write("l0: &l0 [" + ", ".join(["x"] * 2000) + "]\n")
    for i in range(1, 60):
        f.write(f"l{i}: &l{i} [" + ", ".join([f"*l{i-1}"] * 600) + "]\n")
with open("big-60mb.yaml", "w") as f:
    line = "k: " + "v" * 996 + "\n"
    for i in range(60_000):
        f.write(f"k{i}{line[1:]}")
EOF

report() { if [ -s "$1" ]; then echo yes; else echo NO; fi; }

# case name, then the doctor's arguments
run() {
    local name="$1"; shift
    rm -f out.json
    set +e
    /usr/bin/time -v -o time.txt "$bin" "$@" --format json --output out.json 2>/dev/null
    local status=$?
    set -e
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' time.txt)
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' time.txt)
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$wall" "$rss" "$status" "$(report out.json)"
}

# A signal case: start, wait until the plugin runs, send the signal, wait.
signal_case() {
    local name="$1" sig="$2"
    rm -f out.json
    /usr/bin/time -v -o time.txt "$bin" check --suite plugin.suite --format json --output out.json 2>/dev/null &
    local pid=$!
    sleep 1
    # The doctor is the only child of /usr/bin/time.
    local doctor
    doctor=$(pgrep -P "$pid")
    kill "-$sig" "$doctor"
    set +e
    wait "$pid"
    local status=$?
    set -e
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' time.txt)
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' time.txt)
    local left
    left=$(pgrep -fc "sleep 3600" || true)
    printf '| %s | %s (1 s before the signal) | %s | %s | %s; plugins left: %s |\n' "$name" "$wall" "$rss" "$status" "$(report out.json)" "$left"
}

echo "| case | wall (s) | peak RSS (MB) | exit | report written |"
echo "|---|---|---|---|---|"
run "FIFO token file, --deadline 4s" check --config token-fifo.yaml --suite token.suite --deadline 4s
run "/dev/zero token, 3 GB secret file, --deadline 5s" check --config token-zero.yaml --suite token.suite --deadline 5s
run "FIFO CA file (tls), --deadline 4s" check --config node.yaml --suite tls.suite --deadline 4s
run "FIFO master secret (--master-config), --deadline 4s" check --config node.yaml --master-config master-fifo.yaml --offline --suite params.suite --deadline 4s
run "FIFO as time.timezone, --deadline 4s" check --config tz-fifo.yaml --suite tz.suite --deadline 4s
run "FIFO as --config, --deadline 4s" check --config fifo --only config.file --deadline 4s
run "flat config, 80k keys (1.3 MB), default suite, --deadline 5s" check --config flat-80k.yaml --deadline 5s
run "flat config, 4 MB, default suite, --deadline 5s" check --config flat-4mb.yaml --deadline 5s
run "flat config, 4 MB, config-lint alone (too large to lint), --deadline 1m" check --config flat-4mb.yaml --suite lint.suite --deadline 1m
run "a problem on every line, 1 MiB, config-lint alone to the end, --deadline 1m" check --config every-line-1mb.yaml --suite lint.suite --deadline 1m
run "a problem on every line, 4 MB, default suite, --deadline 5s" check --config every-line-4mb.yaml --deadline 5s
run "nested anchors (216 KB), default suite, --deadline 5s" check --config anchors.yaml --deadline 5s
run "60 MB config, default suite, --deadline 5s" check --config big-60mb.yaml --deadline 5s
run "--deadline 9300000000000000000s" check --deadline 9300000000000000000s
run "--timeout 18446744073709551615s" check --timeout 18446744073709551615s
run "--timeout 0" check --timeout 0
signal_case "SIGINT with a plugin running" INT
signal_case "SIGTERM with a plugin running" TERM
signal_case "SIGHUP with a plugin running" HUP
