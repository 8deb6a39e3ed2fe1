#!/usr/bin/env bash
# Seeded fault campaign: kubelet + containerd stand-in driving the real libcni chain (bridge + host-local + eip-cni)
# against the simulated cloud and API server, faults drawn per pod from the seed (tests/FaultCampaign).
# Usage: scripts/soak.sh [--lifecycles N] [--seed S] [--workers W]   (default 1000 lifecycles, seed 1, 6 workers)
# Last line: "N lifecycles, L leaked, M misbound, S stuck, D del-failures, C crashes"; exits with the campaign's status.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

args=(--lifecycles 1000 --seed 1 "$@") # later flags win
[ "$(id -u)" -eq 0 ] || { echo "soak.sh needs root (a network namespace per sandbox)" >&2; exit 1; }
ensure_packages
echo "==> building (NativeAOT eip-cni and eip-cni-agent, simulators, libcni driver)"
scripts/build.sh >/dev/null
echo "==> building tests/FaultCampaign"
dotnet build tests/FaultCampaign -c Release -nologo -v quiet | { grep -v "^\s*$" || true; }
echo "==> running the campaign: ${args[*]}"
exec dotnet tests/FaultCampaign/bin/Release/net10.0/FaultCampaign.dll "${args[@]}"
