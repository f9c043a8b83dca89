#!/usr/bin/env bash
# Builds target/mongo-java-server-launcher.jar (a single runnable jar).
# Idempotent: does nothing if the jar is newer than pom.xml and everything under src/.
# FORCE=1 ./build.sh rebuilds regardless.
set -euo pipefail
cd "$(dirname "$0")"

jar=target/mongo-java-server-launcher.jar
if [[ -z "${FORCE:-}" && -f "$jar" ]] && [[ -z "$(find pom.xml src -newer "$jar" -print -quit)" ]]; then
  echo "up to date: $jar"
  exit 0
fi

mvn -q -B package -DskipTests
echo "built: $jar"
