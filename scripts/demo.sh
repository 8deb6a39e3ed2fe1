#!/usr/bin/env bash
# One pod's life through the real CNI chain — bridge + host-local (Debian's reference plugins), then eip-cni — driven
# by libcni in a fresh network namespace, against the simulated Alibaba Cloud and kube-apiserver. Shows the EIP bound
# before ADD returns, the pod's annotations, condition and events, then DEL releasing the EIP. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_packages
echo "==> building (NativeAOT eip-cni, simulators, libcni driver)"
scripts/build.sh >/dev/null

id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d /tmp/eipcni-demo.XXXX)
ns="eipdemo-$id"; br="eipbr$id"; net="eipdemo-$id"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true; ip link del "$br" 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json() { node -e "const d=JSON.parse(require('fs').readFileSync(0,'utf8'));$1"; }

step "starting the simulated Alibaba Cloud (VPC, ECS, STS, metadata) and kube-apiserver on loopback"
scripts/aliyun-sim.sh --listen 127.0.0.1:0 --associate-ms 1500 --unassociate-ms 800 > "$work/cloud.ready" 2> "$work/cloud.log" & pids+=($!)
scripts/kube-sim.sh --listen 127.0.0.1:0 --dir "$work/kube" > "$work/kube.ready" 2> "$work/kube.log" & pids+=($!)
for f in cloud kube; do for _ in $(seq 150); do [ -s "$work/$f.ready" ] && break; sleep 0.2; done; done
cloud=$(json 'console.log(d.url)' < <(head -1 "$work/cloud.ready"))
kube=$(json 'console.log(d.url)' < "$work/kube.ready")
kubeconfig=$(json 'console.log(d.kubeconfig)' < "$work/kube.ready")
head -1 "$work/cloud.ready" | json 'console.log(`  cloud ${d.url}  region ${d.region}  instance ${d.instanceId}\n  ENI ${d.enis[0].networkInterfaceId}: primary ${d.enis[0].primaryIp}, secondary ${d.enis[0].secondaryIps[0]}..${d.enis[0].secondaryIps.at(-1)}`)'
echo "  kube-apiserver $kube (TLS, bearer token)"

step "the pod, as the API server has it: asks for an EIP and declares the readiness gate"
cat > "$work/pod.json" <<JSON
{"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"default","name":"web-0","uid":"uid-web-0",
 "annotations":{"network.alibabacloud.com/pod-with-eip":"true","network.alibabacloud.com/eip-bandwidth":"10",
                "network.alibabacloud.com/eip-tags":"{\"team\":\"payments\"}"}},
 "spec":{"containers":[{"name":"app","image":"nginx"}],"readinessGates":[{"conditionType":"k8s.aliyun.com/eip"}]}}
JSON
curl -sk -X POST "$kube/_sim/pods" -H 'content-type: application/json' -d @"$work/pod.json" \
  | json 'console.log(JSON.stringify(d.metadata.annotations, null, 2))'

read -r ak sk < <(head -1 "$work/cloud.ready" | json 'console.log(d.accessKeyId, d.accessKeySecret)')
echo "{\"enable_eip_pool\":\"true\",\"allow_eip_rob\":\"false\",\"access_key\":\"$ak\",\"access_secret\":\"$sk\",\"region_id\":\"cn-hangzhou\"}" > "$work/eni.json"
mkdir -p "$work/bin" "$work/net.d"
for p in bridge host-local loopback; do ln -s "/usr/lib/cni/$p" "$work/bin/$p"; done
ln -s "$PWD/out/eip-cni" "$work/bin/eip-cni"
cat > "$work/net.d/10-demo.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "$net",
  "plugins": [
    { "type": "bridge", "bridge": "$br",
      "ipam": { "type": "host-local", "dataDir": "$work/ipam", "ranges": [[{ "subnet": "10.250.0.0/24", "rangeStart": "10.250.0.2", "rangeEnd": "10.250.0.40" }]] } },
    { "type": "eip-cni", "clusterId": "c-demo", "eniConfPath": "$work/eni.json", "stateDir": "$work/state",
      "logFile": "$work/eip-cni.log", "kubeconfig": "$kubeconfig",
      "endpoints": { "vpc": "$cloud", "ecs": "$cloud", "sts": "$cloud", "metadata": "$cloud" },
      "capabilities": { "io.kubernetes.cri.pod-annotations": true } } ] }
JSON
step "conflist: bridge + host-local (stand-ins for Terway: they hand out the ENI's secondary IPs), then eip-cni"
cat "$work/net.d/10-demo.conflist"

ip netns add "$ns"
export NETCONFPATH="$work/net.d" CNI_PATH="$work/bin" CNI_CACHE_DIR="$work/cache" CNI_CONTAINERID="demo-$id"
export CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=uid-web-0"
export CAP_ARGS="{\"io.kubernetes.cri.pod-annotations\":$(json 'console.log(JSON.stringify(d.metadata.annotations))' < "$work/pod.json")}"

step "ADD (containerd would run this for the pod sandbox; the cloud takes 1.5 s to associate)"
start=$(date +%s%N)
out/cnitool add "$net" "/var/run/netns/$ns" > "$work/result.json"
echo "  ADD returned in $(( ($(date +%s%N) - start) / 1000000 )) ms; the CNI result is prevResult, unchanged:"
json 'console.log("  " + d.ips.map(i => i.address).join(", "))' < "$work/result.json"
echo "  inside the pod: $(ip -n "$ns" -4 -brief addr show eth0)"

step "the cloud, as its inspection endpoint shows it (bound before ADD returned)"
curl -s "$cloud/_sim/eips" | json 'for (const e of d.eips.filter(e => e.allocatedBy == "api"))
  console.log(`  ${e.allocationId}  ${e.ipAddress}  ${e.status}  on ${e.instanceId} ${e.privateIpAddress}  ${e.bandwidth} Mbit/s ${e.internetChargeType}\n  tags: ${Object.entries(e.tags).map(([k,v]) => k + "=" + v).join(", ")}`)'

step "the pod, as the API server has it now"
curl -sk "$kube/_sim/pods/default/web-0" | json '
  for (const [k,v] of Object.entries(d.metadata.annotations).filter(([k]) => k.includes("allocated"))) console.log(`  annotation ${k}: ${v}`);
  for (const c of (d.status.conditions || [])) console.log(`  condition ${c.type}=${c.status} (${c.reason}): ${c.message}`);'
curl -sk "$kube/_sim/events" | json 'for (const e of (Array.isArray(d) ? d : d.events)) console.log(`  event ${e.type} ${e.reason}: ${e.message}`)'

step "CHECK"
out/cnitool check "$net" "/var/run/netns/$ns" && echo "  ok: the EIP is bound where the journal says"

step "DEL (unbind, then release: the EIP stops costing money)"
out/cnitool del "$net" "/var/run/netns/$ns" && echo "  ok"
curl -s "$cloud/_sim/eips" | json 'for (const e of d.eips.filter(e => e.allocatedBy == "api")) console.log(`  ${e.allocationId}  ${e.ipAddress}  ${e.status}`)'
out/cnitool del "$net" "/var/run/netns/$ns" && echo "  a second DEL: ok (idempotent)"

step "eip-cni log: one line per call, with its timing (never a secret)"
grep '"msg":"done"' "$work/eip-cni.log" | node -e '
  for (const l of require("fs").readFileSync(0, "utf8").trim().split("\n")) {
    const d = JSON.parse(l);
    console.log(`  ${d.command.padEnd(5)} ${String(d.ms).padStart(7)} ms  ${d.summary}`);
  }'
