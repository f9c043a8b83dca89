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
