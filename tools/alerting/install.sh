#!/usr/bin/env bash
# What the alerting tests deliver to, real servers started per test on loopback ports:
#   - Mailpit (SMTP with STARTTLS, and an HTTP API to read mail back), built from the Go module proxy into bin/;
#   - Debian's prometheus-alertmanager (the tests run their own instance; the system service stays off).
# Idempotent: each is fetched only when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source ../lib/apt.sh

MAILPIT_VERSION=v1.33.1

if [[ ! -x /usr/bin/prometheus-alertmanager ]]; then
  apt_install_quietly alerting/install.sh prometheus-alertmanager
fi
if [[ $(id -u) -eq 0 ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl disable --now prometheus-alertmanager.service >/dev/null 2>&1 || true
fi

if [[ ! -x bin/mailpit ]] || [[ $(bin/mailpit version 2>/dev/null | grep -o 'v[0-9.]*' | head -1) != "$MAILPIT_VERSION" ]]; then
  echo "alerting/install.sh: building Mailpit $MAILPIT_VERSION (first build downloads modules, ~2 min)" >&2
  mkdir -p bin
  GOBIN="$PWD/bin" GOFLAGS=-buildvcs=false go install "github.com/axllent/mailpit@$MAILPIT_VERSION"
fi

[[ -x /usr/bin/prometheus-alertmanager ]] || { echo "alerting/install.sh: prometheus-alertmanager still missing" >&2; exit 1; }
[[ -x bin/mailpit ]] || { echo "alerting/install.sh: bin/mailpit was not built" >&2; exit 1; }
