#!/usr/bin/env bash
# Debian's Prometheus for the metrics test: it scrapes a running server on a loopback port and the test asks it
# PromQL over its HTTP API (our own instance; the system service stays off). Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source ../lib/apt.sh

if [[ ! -x /usr/bin/prometheus ]]; then
  apt_install_quietly metrics/install.sh prometheus
fi
if [[ $(id -u) -eq 0 ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl disable --now prometheus.service prometheus-node-exporter.service >/dev/null 2>&1 || true
fi
[[ -x /usr/bin/prometheus ]] || { echo "metrics/install.sh: prometheus still missing" >&2; exit 1; }
