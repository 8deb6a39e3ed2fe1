#!/usr/bin/env bash
# Seeded protocol fuzzer: hostile env, stdin and files against the published eip-cni (tests/CniFuzzer), with the EIP
# feature off, on against the simulated cloud, and on against a loopback port that refuses connections.
# Usage: scripts/fuzz.sh [--cases N] [--seed S] [--parallel P] [--case N]   (default 5000 cases, seed 1, 8 at once;
#        --case replays one case of the seed and prints it)
# Last line: "N cases, C internal-errors, H hangs, W wrong-success"; exits 0 only if C, H and W are 0.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

args=(--cases 5000 --seed 1 "$@") # later flags win
ensure_packages
echo "==> building (NativeAOT eip-cni and eip-cni-agent, simulators)"
scripts/build.sh >/dev/null
echo "==> building tests/CniFuzzer"
dotnet build tests/CniFuzzer -c Release -nologo -v quiet | { grep -v "^\s*$" || true; }
echo "==> fuzzing: ${args[*]}"
exec dotnet tests/CniFuzzer/bin/Release/net10.0/CniFuzzer.dll "${args[@]}"
