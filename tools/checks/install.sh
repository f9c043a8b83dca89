#!/usr/bin/env bash
# Installs what the checkers call on the monitor itself: iputils' ping for ping checks (test/checks/ping.test.ts).
# Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

if command -v ping >/dev/null 2>&1; then
  echo "checks/install.sh: ping already present"
else
  apt_install_quietly checks/install.sh iputils-ping
fi
ping -V 2>&1 | head -n1 || true
