#!/usr/bin/env bash
# Publishes the NativeAOT plugin to out/eip-cni and builds the simulators and the libcni test driver.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Two NativeAOT binaries: eip-cni (the hot path every pod runs: protocol, config, journal; no network stack) and
# eip-cni-agent (cloud and Kubernetes clients), which eip-cni runs only for calls that have EIP work to do.
mkdir -p out
for p in EipCni:eip-cni EipCni.Agent:eip-cni-agent; do
  project=${p%%:*}; bin=${p#*:}
  echo "==> publishing $bin (NativeAOT, linux-x64) to out/"
  dotnet publish "src/$project" -c Release -o "out/publish-$bin" -nologo -v quiet | { grep -v "^\s*$" || true; }
  test -x "out/publish-$bin/$bin"
  # Replace atomically: a running test or runtime may be executing the old file ("text file busy").
  cp "out/publish-$bin/$bin" "out/$bin.tmp" && mv -f "out/$bin.tmp" "out/$bin"
  echo "    out/$bin: $(stat -c %s "out/$bin") bytes"
done

echo "==> building simulators"
dotnet build tests/AliyunSim -c Release -nologo -v quiet | { grep -v "^\s*$" || true; }
dotnet build tests/KubeSim -c Release -nologo -v quiet | { grep -v "^\s*$" || true; }

if command -v go >/dev/null 2>&1; then
  echo "==> building the libcni driver (tests/cnitool) to out/cnitool"
  (cd tests/cnitool && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o ../../out/cnitool . )
fi
