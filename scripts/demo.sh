#!/usr/bin/env bash
# One pod's life through the real CNI chain: bridge + host-local (Debian's reference plugins), then eip-cni,
# driven by libcni in a fresh network namespace. Shows what each step did, then cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_packages
scripts/build.sh >/dev/null
echo

id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d /tmp/eipcni-demo.XXXX)
ns="eipdemo-$id"; br="eipbr$id"; net="eipdemo-$id"
cleanup() { ip netns del "$ns" 2>/dev/null || true; ip link del "$br" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/bin" "$work/net.d"
for p in bridge host-local loopback; do ln -s "/usr/lib/cni/$p" "$work/bin/$p"; done
ln -s "$PWD/out/eip-cni" "$work/bin/eip-cni"
echo '{"enable_eip_pool":"true","allow_eip_rob":"false"}' > "$work/eni.json"
cat > "$work/net.d/10-demo.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "$net",
  "plugins": [
    { "type": "bridge", "bridge": "$br", "isGateway": true,
      "ipam": { "type": "host-local", "dataDir": "$work/ipam", "ranges": [[{ "subnet": "10.250.0.0/24", "rangeStart": "10.250.0.2", "rangeEnd": "10.250.0.40" }]] } },
    { "type": "eip-cni", "clusterId": "c-demo", "eniConfPath": "$work/eni.json", "stateDir": "$work/state",
      "logFile": "$work/eip-cni.log", "capabilities": { "io.kubernetes.cri.pod-annotations": true } } ] }
JSON
ip netns add "$ns"
export NETCONFPATH="$work/net.d" CNI_PATH="$work/bin" CNI_CACHE_DIR="$work/cache" CNI_CONTAINERID="demo-$id"
export CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=uid-web-0"
export CAP_ARGS='{"io.kubernetes.cri.pod-annotations":{"app":"web"}}'

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "conflist ($net): bridge + host-local, then eip-cni"
cat "$work/net.d/10-demo.conflist"
step "ADD pod default/web-0 (sandbox demo-$id) in netns $ns — libcni runs bridge, then eip-cni"
out/cnitool add "$net" "/var/run/netns/$ns"
step "inside the pod: eth0"
ip -n "$ns" -4 -brief addr show eth0
step "CHECK"
out/cnitool check "$net" "/var/run/netns/$ns" && echo "ok"
step "DEL, twice (DEL must be idempotent)"
out/cnitool del "$net" "/var/run/netns/$ns" && echo "ok"
out/cnitool del "$net" "/var/run/netns/$ns" && echo "ok"
step "after DEL: pod interfaces"
ip -n "$ns" -4 -brief addr show
step "eip-cni log (one JSON line per call)"
cat "$work/eip-cni.log"
