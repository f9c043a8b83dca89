#!/usr/bin/env bash
# Build the embedded FerretDB test server into bin/ferretdb.
# Idempotent: does nothing if bin/ferretdb is newer than main.go, go.mod and go.sum.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

bin=bin/ferretdb
if [[ -x $bin ]]; then
  stale=0
  for src in main.go go.mod go.sum; do
    [[ $src -nt $bin ]] && stale=1
  done
  if [[ $stale == 0 ]]; then
    exit 0
  fi
fi

echo "building tools/ferretdb/$bin (first build downloads modules and takes ~2 min)" >&2
mkdir -p bin
go build -buildvcs=false -o "$bin" .
