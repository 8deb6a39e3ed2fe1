#!/usr/bin/env bash
# Installs what the tests need, builds everything, runs every test suite, and ends with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages
scripts/build.sh

passed=0
failed=0
logs=$(mktemp -d)

# .NET test projects of the solution (unit, golden, libcni end-to-end, simulator tests).
echo "==> dotnet test (every test project of EipCni.sln)"
set +e
dotnet test EipCni.sln 2>&1 | tee "$logs/dotnet.log" | grep -E "^\s+Failed |^(Passed|Failed)! | error "
dotnet_rc=${PIPESTATUS[0]}
set -e
summaries=$(grep -E "^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+" "$logs/dotnet.log" || true)
if [ -n "$summaries" ]; then
  while read -r line; do
    f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f))
  done <<<"$summaries"
fi
if [ "$dotnet_rc" -ne 0 ] && ! grep -qE "^Failed!" "$logs/dotnet.log"; then
  echo "dotnet test exited $dotnet_rc without a failing summary (build error or crash):"
  tail -30 "$logs/dotnet.log"
  failed=$((failed + 1))
fi

# The official Alibaba Cloud SDK for Node.js against the cloud simulator.
if [ -x tests/sdk-conformance/run.sh ]; then
  echo "==> official Alibaba Cloud SDK conformance (node --test)"
  set +e
  tests/sdk-conformance/run.sh 2>&1 | tee "$logs/sdk.log" | grep -E "^\s*(✖|not ok)|ℹ (pass|fail)|^# (pass|fail)"
  sdk_rc=${PIPESTATUS[0]}
  set -e
  p=$(grep -oE "^(ℹ|#) pass [0-9]+" "$logs/sdk.log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  f=$(grep -oE "^(ℹ|#) fail [0-9]+" "$logs/sdk.log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$sdk_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "SDK conformance exited $sdk_rc without a failing test count:"; tail -30 "$logs/sdk.log"
    failed=$((failed + 1))
  fi
fi

# Why each failing .NET test failed, short enough to stay in view above the summary line.
if [ "$failed" -gt 0 ]; then
  echo "==> failing tests, first lines of each message"
  grep -E -A8 "^\s+Failed [A-Za-z]" "$logs/dotnet.log" | grep -vE "^\s+Stack Trace:|^\s+at " | head -60 || true
fi

rm -rf "$logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
