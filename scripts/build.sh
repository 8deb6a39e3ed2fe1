#!/usr/bin/env bash
# Publishes the NativeAOT plugin to out/eip-cni and builds the simulators and the libcni test driver.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

echo "==> publishing eip-cni (NativeAOT, linux-x64) to out/"
mkdir -p out
dotnet publish src/EipCni -c Release -o out/publish -nologo -v quiet | { grep -v "^\s*$" || true; }
test -x out/publish/eip-cni
cp out/publish/eip-cni out/eip-cni.tmp && mv -f out/eip-cni.tmp out/eip-cni
echo "    out/eip-cni: $(stat -c %s out/eip-cni) bytes"

echo "==> building simulators"
dotnet build tests/AliyunSim -c Release -nologo -v quiet | { grep -v "^\s*$" || true; }
dotnet build tests/KubeSim -c Release -nologo -v quiet | { grep -v "^\s*$" || true; }

if command -v go >/dev/null 2>&1; then
  echo "==> building the libcni driver (tests/cnitool) to out/cnitool"
  (cd tests/cnitool && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o ../../out/cnitool . )
fi
