#!/usr/bin/env bash
# Starts the simulated Alibaba Cloud (tests/AliyunSim); builds it first when the dll is missing.
# Prints one JSON ready line on stdout, logs on stderr. Flags: see tests/AliyunSim/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dll="$root/tests/AliyunSim/bin/Release/net10.0/AliyunSim.dll"
if [[ ! -f "$dll" ]]; then
  echo "aliyun-sim: building tests/AliyunSim (Release)" >&2
  dotnet build "$root/tests/AliyunSim" -c Release --nologo -v quiet >&2
fi
exec dotnet "$dll" "$@"
