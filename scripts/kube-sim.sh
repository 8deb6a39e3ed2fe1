#!/usr/bin/env bash
# Starts the simulated kube-apiserver (tests/KubeSim), building it first if needed.
# Usage: scripts/kube-sim.sh --listen 127.0.0.1:PORT [--seed FILE] [--dir DIR]
# Prints one JSON line on stdout when ready (url, kubeconfig, kubeconfigClientCert, caFile, token, readOnlyToken); logs go to stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dll="$root/tests/KubeSim/bin/Release/net10.0/KubeSim.dll"
if [[ ! -f "$dll" ]]; then
  echo "kube-sim.sh: building tests/KubeSim (Release)" >&2
  dotnet build "$root/tests/KubeSim" -c Release -nologo -v q >&2
fi
echo "kube-sim.sh: starting $dll $*" >&2
exec dotnet "$dll" "$@"
