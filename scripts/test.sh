#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests, including the
# conformance test against Python yamllint and the JUnit report read by Python junitparser
# (the pinned versions are installed from PyPI when missing). The Debian packages some tests
# run (check_tcp, xmllint, groff, script) are installed by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

YAMLLINT_VERSION=1.37.1
if ! python3 -m yamllint --version 2>/dev/null | grep -qx "yamllint $YAMLLINT_VERSION"; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "yamllint==$YAMLLINT_VERSION"
fi
JUNITPARSER_VERSION=5.0.3
if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('junitparser') != '$JUNITPARSER_VERSION')" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "junitparser==$JUNITPARSER_VERSION"
fi
# Validators for the fleet recipes in docs/fleet/; PyJWT, an independent JWT encoder.
for pkg in kubernetes-validate==1.37.0 ansible-core==2.17.7 pyjwt==2.10.1 cryptography==48.0.0; do
  name="${pkg%%==*}"; version="${pkg##*==}"
  if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('$name') != '$version')" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$pkg"
  fi
done
# The console script sits next to the interpreter pip installed it for.
YAMLLINT="$(python3 -c 'import os, sys; print(os.path.join(os.path.dirname(sys.executable), "yamllint"))')"
[ -x "$YAMLLINT" ] || YAMLLINT="$(command -v yamllint)"
export YAMLLINT

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
