#!/usr/bin/env bash
# The whole test suite, set up from nothing on a fresh Debian machine:
#   1. the Debian packages the tests use (installed when run as root; otherwise listed, with
#      the command that installs them, and the tests that need them skip themselves);
#   2. the pinned Python tools (scripts/test-requirements.txt) in a virtual environment under
#      target/venv, created once and reused while the pins are unchanged; never the system
#      interpreter's site-packages;
#   3. formatting, lints, then the unit and integration tests (cargo-nextest when installed,
#      otherwise cargo test);
#   4. a summary of every test that skipped itself, and why.
# Under CI=true a test that would skip for a missing tool fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

step() { printf 'test.sh: %s\n' "$*"; }

# --- 1. Debian packages --------------------------------------------------------------------
# Package                   used by
#   python3 python3-venv    the virtual environment for the Python tools (yamllint, junitparser,
#                           PyJWT, kubernetes-validate, ansible-core), an SNTP probe
#   curl bind9-dnsutils     independent HTTP/TLS and DNS clients
#   nginx-light dnsmasq-base real peers: HTTP(S) master API, the DNS test zone
#   chrony faketime         a real NTP server with an offset clock (never the system clock)
#   monitoring-plugins-basic check_tcp, a real plugin for the `exec` kind
#   libxml2-utils           xmllint, validates the JUnit report against fixtures/junit/junit.xsd
#   groff-base              groff, renders the man page
#   bsdutils                script, runs the doctor on a pseudo-terminal
#   iproute2                ip netns: fleet nodes in network namespaces of their own
#   strace                  proves a check writes nothing outside --output
#   tinyproxy               a real forward proxy (CONNECT, authentication) on loopback
#   nftables                drops and ICMP rejects inside a test's own network namespace
#   man-db                  man, renders the man page as the install recipe does
PACKAGES=(python3 python3-venv curl bind9-dnsutils nginx-light dnsmasq-base chrony faketime
  monitoring-plugins-basic libxml2-utils groff-base bsdutils iproute2 strace tinyproxy nftables man-db)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  step "dpkg-query not found: not a Debian system; the tests that need a missing tool skip themselves"
fi
if [ "${#missing[@]}" -eq 0 ]; then
  step "Debian packages: all ${#PACKAGES[@]} present"
elif [ "$(id -u)" -eq 0 ]; then
  step "Debian packages: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "Debian packages missing: ${missing[*]}"
  step "  install them with: sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}"
  step "  continuing: the tests that need them skip themselves"
fi

# --- 2. Python tools in a virtual environment ---------------------------------------------
VENV="$ROOT/target/venv"
REQS="$ROOT/scripts/test-requirements.txt"
want=$(sha256sum "$REQS" | cut -d' ' -f1)
if [ -x "$VENV/bin/python3" ] && [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
  step "Python tools: reusing target/venv (pins unchanged)"
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  step "Python tools: python3 cannot create a virtual environment (Debian package python3-venv);"
  step "  continuing: the tests that need yamllint, junitparser, PyJWT, kubernetes-validate or ansible skip themselves"
else
  step "Python tools: creating target/venv with the pins of scripts/test-requirements.txt"
  rm -rf "$VENV"
  mkdir -p "$ROOT/target"
  python3 -m venv "$VENV"
  "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --no-compile --require-virtualenv -r "$REQS"
  echo "$want" >"$VENV/.requirements.sha256"
  step "Python tools: installed $("$VENV/bin/python3" -m pip list --format=freeze 2>/dev/null | grep -ciE '^(yamllint|junitparser|pyjwt|kubernetes-validate|ansible-core|grpcio|grpcio-health-checking)==') pinned tools"
fi
if [ -x "$VENV/bin/python3" ]; then
  # The tests run `python3` and the tools' console scripts: the environment's come first.
  export PATH="$VENV/bin:$PATH"
  export YAMLLINT="$VENV/bin/yamllint"
fi

# --- 3. Format, lints, tests -----------------------------------------------------------------
export AUTOGLM_TEST_SKIP_LOG="$ROOT/target/test-skips.txt"
mkdir -p "$ROOT/target"
: >"$AUTOGLM_TEST_SKIP_LOG"
if [ "${CI:-}" = "true" ]; then
  # A clean clone builds once: incremental artefacts only cost time and disk.
  export CARGO_INCREMENTAL=0
fi

step "cargo fmt --check"
cargo fmt --check
step "cargo clippy --locked --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
# The tests start their own proxies on loopback; the machine's proxy settings (needed above to
# fetch crates) would send the doctor's probes elsewhere.
unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy NO_PROXY no_proxy \
  grpc_proxy no_grpc_proxy
if cargo nextest --version >/dev/null 2>&1; then
  step "cargo nextest run --locked (unit and integration tests)"
  cargo nextest run --locked --no-fail-fast
else
  step "cargo test --locked (cargo-nextest is not installed)"
  cargo test --locked --no-fail-fast
fi

# --- 4. Skip summary -------------------------------------------------------------------------
skipped=$(sort -u "$AUTOGLM_TEST_SKIP_LOG" | grep -c . || true)
if [ "$skipped" -eq 0 ]; then
  step "skip summary: no test skipped itself"
else
  step "skip summary: $skipped skip(s)"
  sort -u "$AUTOGLM_TEST_SKIP_LOG" | sed 's/^/  skipped /'
fi
