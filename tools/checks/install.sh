#!/usr/bin/env bash
# Installs what the checkers call or are tested against on the monitor itself: iputils' ping for ping checks
# (test/checks/ping.test.ts) and dnsmasq, the DNS server the dns checker's tests start (test/checks/dns.test.ts).
# Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

missing=()
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
# dnsmasq-base is the binary alone: no system service that would take port 53.
[[ -x /usr/sbin/dnsmasq ]] || missing+=(dnsmasq-base)
if ((${#missing[@]} == 0)); then
  echo "checks/install.sh: ping and dnsmasq already present"
else
  apt_install_quietly checks/install.sh "${missing[@]}"
fi
ping -V 2>&1 | head -n1 || true
/usr/sbin/dnsmasq --version 2>&1 | head -n1 || true
