#!/usr/bin/env bash
# The bounded mutation fuzzer with a long budget: each target (config, suite, token,
# report) runs for SECONDS seconds instead of its fixed case count (FUZZ_RELEASE=1 builds
# the release profile). A case that panics or takes 10 s or more fails the run. Usage: scripts/fuzz.sh [SECONDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
seed="${2:-}"
# Four targets share the budget: each gets a quarter, so the whole run takes SECONDS.
per=$(( seconds / 4 ))
export AUTOGLM_DOCTOR_FUZZ_SECONDS="$per"
if [ -n "$seed" ]; then export AUTOGLM_DOCTOR_FUZZ_SEED="$seed"; fi
cargo test --locked ${FUZZ_RELEASE:+--release} --test cli -- --test-threads 1 --nocapture \
    robustness::mutated_configs robustness::mutated_suites \
    robustness::mutated_tokens robustness::mutated_reports 2>&1 | grep -oE 'fuzz [a-z]+: .*|test result.*|panicked.*|FAILED.*'
