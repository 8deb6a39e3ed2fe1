#!/usr/bin/env bash
# Official-SDK conformance of tests/AliyunSim: installs the pinned SDK from package-lock.json if needed, runs node's test runner.
# The output ends with the spec reporter's summary ("ℹ pass N" / "ℹ fail M").
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d node_modules ]]; then
  echo "sdk-conformance: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
echo "sdk-conformance: node --test" >&2
exec node --test --test-reporter=spec
